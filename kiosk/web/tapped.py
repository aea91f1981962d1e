"""Card taps bound to the screen that opened them.

A card notice reaches every open screen with the tap's id; the screen that goes on with it
(`?tap=<id>`) claims the tap from the station, once. What the tap opened (a member's balance, their
tasks) is then kept in this browser's session only, under a name of its own, for `MEMBER_IDLE_S`
without a touch, and dropped at the idle reset. Another browser session gets nothing from that tap.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import current_app, g, request, session

from ..members import cards
from .context import station
from .stream import KIOSK

MEMBER_IDLE_S = 120
BOUND = ("member", "signin", "points", "quote")   # what taps open; all forgotten when the screens reset


def tap_owner() -> str:
    """Whose screen this request comes from, as taps are captured for it: the kiosk (its one screen), or on the
    staff console the staff session of this device."""
    if current_app.config.get("VSTATION_LISTENER") != "console":
        return KIOSK
    signed = g.get("staff")
    return f"staff-session:{signed['session'].id}" if signed else "console"


def claimed_uid() -> str | None:
    """The card UID of the tap this request came for (`?tap=`), if it is fresh, nobody claimed it and it was
    not captured for another screen."""
    return station().taps.claim(request.args.get("tap"), tap_owner())


def tapped_member(slot: str = "member", *, staff: bool = False) -> cards.Member | None:
    """The member this screen's tap opened: newly claimed from `?tap=`, else the one kept under `slot`.

    `staff=False` takes members and volunteers only, `staff=True` staff only. Each use within
    MEMBER_IDLE_S keeps the binding alive. A new binding gets a new one-time key (`binding(slot)["key"]`):
    the forms it shows carry that key, so a confirm applies to this member and nobody tapped later.
    """
    st = station()
    uid = claimed_uid()
    if uid is not None:
        found = cards.find_by_card(st.db(), uid)
        if found and (found.role == "staff") == staff:
            session[slot] = {"id": found.id, "seen": time.time(), "key": str(uuid.uuid4())}
            return found
        session.pop(slot, None)
        return None
    kept = binding(slot)
    if kept is None:
        return None
    member = cards.by_id(st.db(), kept.get("id", ""))
    if member is None or (member.role == "staff") != staff:
        session.pop(slot, None)
        return None
    kept["seen"] = time.time()
    session[slot] = kept
    return member


def binding(slot: str) -> dict[str, Any] | None:
    """What this browser's tap under `slot` holds (member id, one-time key, what was shown), if still fresh."""
    kept = session.get(slot)
    if not isinstance(kept, dict) or time.time() - kept.get("seen", 0) > MEMBER_IDLE_S:
        session.pop(slot, None)
        return None
    return kept


def keep(slot: str, **shown: Any) -> None:
    """Remember what a screen showed for this binding (the cart a quote priced), so its confirm uses it."""
    kept = session.get(slot)
    if isinstance(kept, dict):
        session[slot] = {**kept, **shown}


def form_matches(slot: str) -> dict[str, Any] | None:
    """The binding a posted form belongs to: its `key` must be this binding's key (an empty key never is)."""
    kept = binding(slot)
    key = request.form.get("key", "")
    return kept if kept and key and key == kept.get("key") else None


def forget_taps() -> None:
    """Drop everything taps opened in this browser (the idle reset, a sign-out)."""
    for slot in BOUND:
        session.pop(slot, None)
