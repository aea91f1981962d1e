"""Reading JSON bodies: a body nested too deep is bad JSON (a 4xx), never a RecursionError (a 500)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, except that decoding a body nested deeper than Python's recursion limit
    raises ValueError, which `request.get_json(silent=True)` turns into None like any bad JSON.
    (`json.loads` raises RecursionError there, and Werkzeug catches only ValueError.)
    Answers carry Chinese and Tibetan as UTF-8, not as \\u escapes (Flask 3 ignores JSON_AS_ASCII)."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None
