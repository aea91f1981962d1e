"""Card UIDs as the district keeps them: normalised like the stations' readers send them, shown masked.

The same rules as the station's (`kiosk/members/cards.py`), which the hub may not import (it shares only
the contract's pure helpers): UIDs compare upper-case without spaces, 4 to 20 hex digits, and are
personal data: screens and logs show at most their last four characters.
"""

from __future__ import annotations

import re

CARD_UID = re.compile(r"[0-9A-F]{4,20}", re.ASCII)


def normalise(uid: str) -> str:
    return "".join(str(uid).split()).upper()


def valid(uid: str) -> bool:
    return bool(CARD_UID.fullmatch(normalise(uid)))


def mask(uid: str | None) -> str:
    """A card UID safe for screens and logs: its last four characters at most ("…" for none)."""
    uid = (uid or "").strip()
    return "…" + uid[-4:] if len(uid) > 4 else "…"
