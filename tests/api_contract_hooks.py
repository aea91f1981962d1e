"""schemathesis hooks of tests/test_api_contract.py: every valid Idempotency-Key the fuzzer sends is used once.

A key is bound to the first request that used it: sent again with another
body it is refused (422 key_reused, documented). That rule is about what
came before, which a schema cannot say, so a fuzzer that happens to draw the
same key for two different bodies would call the second answer a valid
request refused. Each valid key is therefore replaced, before it is sent, by
a fresh one of the same length from the same characters (still valid by the
document); keys the document does not allow go as drawn, to be refused.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import schemathesis

VALID = re.compile(r"^[!-~]{1,100}$")                    # the document's pattern of the header
ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F))   # the 94 visible ASCII characters
_drawn: dict[int, itertools.count] = {}


def fresh(length: int) -> str:
    """A key of `length` characters not handed out before in this run; once every key of that length has
    gone (94 of one character), one character longer: still a valid key, never a used one."""
    counter = _drawn.setdefault(length, itertools.count())
    n = next(counter)
    if n >= len(ALPHABET) ** length:
        return fresh(length + 1)
    digits = []
    for _ in range(length):
        n, d = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[d])
    return "".join(reversed(digits))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID.fullmatch(key):
        headers["Idempotency-Key"] = fresh(len(key))
