"""The slot rows and sensors that the lockers' state machine and its timers share.

A `Slots` knows the configured slots, reads their door and item sensors
(an unreadable sensor reads None, never an exception), reads and writes the
`locker_slots` rows, and passes on the two ways the lockers reach out: telling
the screens (`publish`) and asking for a check later (`schedule`).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from enum import Enum
from typing import Any, Callable

from ..base.clock import rfc3339
from ..base.ports import LockerBank, state_word
from ..config import LockerSettings

log = logging.getLogger(__name__)
Publish = Callable[..., None]


class SlotState(str, Enum):
    FREE = "free"           # shut, nothing pending (an umbrella slot may or may not hold one)
    RESERVED = "reserved"   # lock fired, waiting for the door to open
    OPEN = "open"           # door open during an operation
    IN_USE = "in_use"       # a phone is charging in it, locked to a card
    FAULT = "fault"         # the door did not open several times: staff must look


PENDING = frozenset({SlotState.RESERVED.value, SlotState.OPEN.value})


class Slots:
    """The configured slots over the bank of doors, with their rows in the station database."""

    def __init__(self, settings: LockerSettings, bank: LockerBank, *, publish: Publish | None = None,
                 schedule: Callable[[float], None] | None = None) -> None:
        """`publish` tells the screens; `schedule(seconds)` asks for a check that much later."""
        self.bank = bank
        self.rules: dict[str, Any] = settings.options
        self.purpose = {s.id: s.purpose for s in settings.slots}
        self.publish: Publish = publish or (lambda *a, **k: None)
        self.schedule: Callable[[float], None] = schedule or (lambda delay: None)

    def door(self, slot_id: str) -> str | None:
        """The door sensor's word ("open" / "closed"), or None when the slot has none or it is unreadable."""
        try:
            door = self.bank.door(slot_id)
        except Exception:
            log.exception("door sensor of %s unreadable", slot_id)
            return None
        return None if door is None else state_word(door)

    def item(self, slot_id: str) -> bool | None:
        """Whether the item sensor sees something, or None when the slot has none or it is unreadable."""
        reader = getattr(self.bank, "item", None)
        try:
            return None if reader is None else reader(slot_id)
        except Exception:
            log.exception("item sensor of %s unreadable", slot_id)
            return None

    def row(self, conn: sqlite3.Connection, slot_id: str) -> sqlite3.Row | None:
        """The slot's row, or None for a slot the database does not know."""
        return conn.execute("SELECT * FROM locker_slots WHERE id = ?", (slot_id,)).fetchone()

    def configured_rows(self, conn: sqlite3.Connection) -> list[sqlite3.Row]:
        """The rows of the slots in today's config (a slot removed from station.toml is left alone)."""
        return [r for r in conn.execute("SELECT * FROM locker_slots").fetchall() if r["id"] in self.purpose]

    def set(self, conn: sqlite3.Connection, slot_id: str, now: datetime, **columns: Any) -> None:
        """Change some columns of a slot's row (inside the caller's transaction)."""
        names = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(f"UPDATE locker_slots SET {names}, updated_at = ? WHERE id = ?",
                     (*columns.values(), rfc3339(now), slot_id))
