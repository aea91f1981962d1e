"""Whole numbers as people and integrators write them: ASCII digits 0-9 only.

Python's `int()` (and Flask's `type=int`, and regex `\\d`) also take full-width
digits (`１２３`), other scripts' digits (`٣`), `1_000`, `+4` and ` 7 `. A stock
count or a star rating written that way is almost always a mistake or a
probe, so the station reads numbers through here and refuses anything but
plain ASCII digits (with a leading `-` where a value may be negative).
"""

from __future__ import annotations

import re

WHOLE = re.compile(r"[0-9]+", re.ASCII)
SIGNED = re.compile(r"-?[0-9]+", re.ASCII)
MAX_DIGITS = 18          # below 2**63: every value fits an SQLite INTEGER


def whole_number(text: object, *, low: int = 0, high: int = 10**MAX_DIGITS - 1,
                 signed: bool = False) -> int | None:
    """The integer `text` spells in ASCII digits if it lies in [low, high]; None for anything else.

    No sign (unless `signed` allows a leading `-`), no spaces, no `_`, no other digits;
    at most 18 digits, so nothing read here overflows a database integer.
    """
    if not isinstance(text, str) or not (SIGNED if signed else WHOLE).fullmatch(text):
        return None
    if len(text.lstrip("-")) > MAX_DIGITS:
        return None
    value = int(text)
    return value if low <= value <= high else None

