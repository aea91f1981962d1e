"""Reading the screens' form fields: numbers in ASCII digits only (kiosk/base/digits.py)."""

from __future__ import annotations

from flask import request

from ..base.digits import whole_number


def number(name: str, *, low: int = 0, high: int, signed: bool = False) -> int | None:
    """The form field `name` as a whole number in [low, high], or None (missing, or not plain digits).

    Flask's `type=int` would take `１２３`, `٣`, `1_000`, `+4` and ` 7 `; a screen sends none of them.
    """
    return whole_number(request.values.get(name), low=low, high=high, signed=signed)


def flag(name: str) -> bool:
    """A yes/no form field: only "1", "true", "on" or "yes" mean yes ("0" or "" mean no)."""
    return request.values.get(name, "").lower() in ("1", "true", "on", "yes")
