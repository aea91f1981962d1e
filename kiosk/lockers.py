"""The lockers' state machine: one row per slot, every door operation, loans only on a confirmed door.

A resident's action reserves a slot and fires its lock. Only when the door
sensor reports the door open (within `open_timeout_seconds`) and then shut
again (no sooner than `door_settle_seconds` after opening, so a flickering
sensor cannot end it) does the operation complete: a loan starts or ends,
looking at the item sensor where the slot has one. A door that never opens
records nothing but a failure; `fault_after` failures in a row make the slot
`fault` (`locker.fault`). Everything lives in the database, so a kiosk killed
between door-open and door-shut resolves it on start by reading the sensors.
Driver threads, the web and the housekeeping loop all come through one lock.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Callable

from . import loans, outbox, store
from .clock import Clock, parse_time, rfc3339, utc_now
from .config import LockerSettings
from .members import Member
from .ports import LockerBank, state_word

log = logging.getLogger(__name__)


class SlotState(str, Enum):
    FREE = "free"           # shut, nothing pending (an umbrella slot may or may not hold one)
    RESERVED = "reserved"   # lock fired, waiting for the door to open
    OPEN = "open"           # door open during an operation
    IN_USE = "in_use"       # a phone is charging in it, locked to a card
    FAULT = "fault"         # the door did not open several times: staff must look


PENDING = (SlotState.RESERVED, SlotState.OPEN)
Publish = Callable[..., None]


@dataclass(frozen=True)
class Started:
    """What a resident's or staff action did: `word` is "opening" or why nothing opened."""
    word: str
    slot_id: str | None = None
    op_id: str | None = None


@dataclass(frozen=True)
class OpStatus:
    op_id: str
    op: str
    slot_id: str
    phase: str             # waiting | open | done | not_opened | nothing_taken | nothing_left | still_inside
    loan: loans.Loan | None


@dataclass(frozen=True)
class SlotView:
    id: str
    purpose: str
    state: SlotState
    stocked: bool
    door: str | None
    item: bool | None
    alarm: bool
    failures: int
    loan: loans.Loan | None

    @property
    def word(self) -> str:
        """The telemetry word (DESIGN §4.4): free | in_use | open | fault."""
        if self.state == SlotState.FAULT:
            return "fault"
        if self.state == SlotState.OPEN or self.door == "open":
            return "open"
        return "free" if self.state == SlotState.FREE else "in_use"


class Lockers:
    """Rules of the lockers over the bank of doors; callers pass their own connection."""

    def __init__(self, settings: LockerSettings, bank: LockerBank, *, clock: Clock = utc_now,
                 publish: Publish | None = None, schedule: Callable[[float], None] | None = None) -> None:
        """`publish` tells the screens; `schedule(seconds)` asks for a `tick` that much later."""
        self.settings = settings
        self.schedule = schedule or (lambda delay: None)
        self.rules = settings.options
        self.bank = bank
        self.clock = clock
        self.publish = publish or (lambda *a, **k: None)
        self._lock = threading.RLock()
        self.purpose = {s.id: s.purpose for s in settings.slots}

    # -- reading ------------------------------------------------------------
    def _door(self, slot_id: str) -> str | None:
        try:
            door = self.bank.door(slot_id)
        except Exception:
            log.exception("door sensor of %s unreadable", slot_id)
            return None
        return None if door is None else state_word(door)

    def _item(self, slot_id: str) -> bool | None:
        reader = getattr(self.bank, "item", None)
        try:
            return None if reader is None else reader(slot_id)
        except Exception:
            log.exception("item sensor of %s unreadable", slot_id)
            return None

    def _row(self, conn: sqlite3.Connection, slot_id: str) -> sqlite3.Row | None:
        return conn.execute("SELECT * FROM locker_slots WHERE id = ?", (slot_id,)).fetchone()

    def overview(self, conn: sqlite3.Connection) -> list[SlotView]:
        """Every configured slot as staff and telemetry see it."""
        views = []
        for row in conn.execute("SELECT * FROM locker_slots ORDER BY id").fetchall():
            if row["id"] not in self.purpose:
                continue
            loan = loans.in_slot(conn, row["id"]) if row["purpose"] == "charging" else None
            views.append(SlotView(row["id"], row["purpose"], SlotState(row["state"]), bool(row["stocked"]),
                                  self._door(row["id"]), self._item(row["id"]), bool(row["alarm"]),
                                  row["failures"], loan))
        order = list(self.purpose)
        return sorted(views, key=lambda v: order.index(v.id))

    def status(self, conn: sqlite3.Connection, op_id: str) -> OpStatus | None:
        """How one operation is going, for the resident's screen."""
        op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (op_id,)).fetchone()
        if op is None:
            return None
        phase = op["outcome"] or ("open" if op["opened_at"] else "waiting")
        return OpStatus(op["id"], op["op"], op["slot_id"], phase, loans.get(conn, op["loan_id"] or ""))

    # -- start of an operation ---------------------------------------------
    def setup(self, conn: sqlite3.Connection) -> None:
        """Give every configured slot its row (an umbrella slot starts stocked unless its sensor says not)."""
        now = rfc3339(self.clock())
        with store.transaction(conn):
            for slot_id, purpose in self.purpose.items():
                item = self._item(slot_id)
                stocked = int(purpose == "umbrella" and item is not False)
                conn.execute("INSERT INTO locker_slots (id, purpose, stocked, updated_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose",
                             (slot_id, purpose, stocked, now))

    def borrow(self, conn: sqlite3.Connection, member: Member | None) -> Started:
        """A member borrows an umbrella: a stocked slot opens."""
        if member is None:
            return Started("unknown_card")
        return self._start(conn, "borrow", member=member, by=member.id,
                           refuse=lambda: "already_borrowed" if loans.open_umbrella(conn, member.id) else None,
                           pick="purpose = 'umbrella' AND stocked = 1", none_word="none_available")

    def give_back(self, conn: sqlite3.Connection, member: Member | None) -> Started:
        """An umbrella comes back (with any card, or none): an empty umbrella slot opens."""
        loan = loans.open_umbrella(conn, member.id) if member else None
        return self._start(conn, "return", member=member, by=member.id if member else "button",
                           loan_id=loan.id if loan else None,
                           pick="purpose = 'umbrella' AND stocked = 0", none_word="no_space")

    def deposit(self, conn: sqlite3.Connection, uid: str, member: Member | None) -> Started:
        """A phone goes in to charge, locked to the card that was tapped."""
        hashed = loans.card_hash(uid)
        return self._start(conn, "deposit", member=member, by=member.id if member else "card", card=hashed,
                           refuse=lambda: "already_deposited" if loans.phone_of(conn, hashed) else None,
                           pick="purpose = 'charging'", none_word="none_available")

    def collect(self, conn: sqlite3.Connection, uid: str, member: Member | None) -> Started:
        """The same card takes its phone back: its slot opens."""
        hashed = loans.card_hash(uid)
        loan = loans.phone_of(conn, hashed)
        if loan is None:
            return Started("nothing_deposited")
        return self._start(conn, "collect", member=member, by=member.id if member else "card", card=hashed,
                           loan_id=loan.id, slot_id=loan.slot_id, none_word="busy")

    def staff_open(self, conn: sqlite3.Connection, slot_id: str, *, reason: str, by: str) -> Started:
        """Staff or the district open any door (also a faulted one), with the reason recorded."""
        if slot_id not in self.purpose:
            return Started("no_such_slot")
        return self._start(conn, "staff", member=None, by=by, reason=reason, slot_id=slot_id,
                           none_word="busy", staff=True)

    def _start(self, conn: sqlite3.Connection, op: str, *, member: Member | None, by: str,
               refuse: Callable[[], str | None] = lambda: None, pick: str = "", none_word: str,
               card: str | None = None, loan_id: str | None = None, slot_id: str | None = None,
               reason: str = "", staff: bool = False) -> Started:
        with self._lock:
            if member or card:   # a second tap while this person's door is open: the same door, nothing new
                row = conn.execute("SELECT id, slot_id FROM locker_ops WHERE finished_at IS NULL AND "
                                   "(member_id = ? OR card_hash = ?)",
                                   (member.id if member else None, card)).fetchone()
                if row:
                    return Started("busy", row["slot_id"], row["id"])
            refusal = refuse()
            if refusal:
                return Started(refusal)
            slot = self._choose(conn, pick, slot_id, staff)
            if slot is None:
                return Started(none_word)
            now, op_id = self.clock(), str(uuid.uuid4())
            sensorless = self._door(slot["id"]) is None     # staff only: the relay is all we know
            with store.transaction(conn):
                conn.execute("INSERT INTO locker_ops (id, slot_id, op, member_id, card_hash, loan_id, by, reason, "
                             "back_to, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (op_id, slot["id"], op, member.id if member else None, card, loan_id, by, reason,
                              slot["state"], rfc3339(now)))
                self._set(conn, slot["id"], now, state=SlotState.RESERVED.value, op_id=op_id)
            try:
                self.bank.unlock(slot["id"])
                fired = True
            except Exception:   # never retried: the door sensor alone decides whether it opened
                log.exception("lock of %s did not confirm; waiting for the door", slot["id"])
                fired = False
            if sensorless:
                if not fired:
                    from .locker_ops import expire
                    expire(self, conn, self._row(conn, slot["id"]), self.clock(), force=True)
                    return Started("not_opened", slot["id"], op_id)
                self.door_changed(conn, slot["id"], "open")
                self._finish(conn, slot["id"], self.clock())
            self.schedule(self.rules["open_timeout_seconds"] + 0.1)
            return Started("opening", slot["id"], op_id)

    def _choose(self, conn: sqlite3.Connection, pick: str, slot_id: str | None, staff: bool) -> Any:
        """A slot for the operation: shut, idle, with a sensor that can confirm (staff: any idle slot)."""
        if slot_id:
            row = self._row(conn, slot_id)
            ok = row is not None and row["state"] not in {s.value for s in PENDING}
            if ok and not staff:
                ok = row["state"] == SlotState.IN_USE.value and self._door(slot_id) == "closed"
            return row if ok else None
        for row in conn.execute(f"SELECT * FROM locker_slots WHERE state = 'free' AND {pick}").fetchall():
            if row["id"] in self.purpose and self._door(row["id"]) == "closed" and self._item(row["id"]) in (
                    None, row["purpose"] == "umbrella" and bool(row["stocked"])):
                return row
        return None

    def _set(self, conn: sqlite3.Connection, slot_id: str, now: datetime, **columns: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(f"UPDATE locker_slots SET {names}, updated_at = ? WHERE id = ?",
                     (*columns.values(), rfc3339(now), slot_id))

    # -- the doors ----------------------------------------------------------
    def door_changed(self, conn: sqlite3.Connection, slot_id: str, word: str) -> None:
        """A door sensor changed: confirm a waiting opening, or complete an operation when shut."""
        with self._lock:
            row = self._row(conn, slot_id)
            if row is None:
                return
            now = self.clock()
            if word == "open":
                with store.transaction(conn):
                    if row["door_open_since"] is None:
                        self._set(conn, slot_id, now, door_open_since=rfc3339(now))
                    if row["state"] == SlotState.RESERVED.value:
                        self._confirm_open(conn, row, now)
            elif word == "closed":
                if row["state"] == SlotState.OPEN.value:
                    op = conn.execute("SELECT opened_at FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
                    left = self.rules["door_settle_seconds"] - (now - parse_time(op["opened_at"])).total_seconds()
                    if left <= 0 and self._door(slot_id) == "closed":
                        self._finish(conn, slot_id, now)
                    elif left > 0:     # perhaps a flicker: read the sensor again once settled
                        self.schedule(left + 0.05)
                    return
                with store.transaction(conn):
                    self._set(conn, slot_id, now, door_open_since=None, alarm=0)

    def _confirm_open(self, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> None:
        op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
        conn.execute("UPDATE locker_ops SET opened_at = ? WHERE id = ?", (rfc3339(now), op["id"]))
        self._set(conn, row["id"], now, state=SlotState.OPEN.value, failures=0)
        outbox.append(conn, "locker.opened", {"slot": row["id"], "op": op["op"], "op_id": op["id"],
                                              "by": op["by"], "reason": op["reason"],
                                              "member_id": op["member_id"]}, ts=rfc3339(now))
        self.publish("locker", slot=row["id"], op_id=op["id"], phase="open")

    def _finish(self, conn: sqlite3.Connection, slot_id: str, now: datetime) -> None:
        """The door is shut after an opening: what the operation achieved, in one transaction."""
        from .locker_ops import complete

        with self._lock, store.transaction(conn):
            row = self._row(conn, slot_id)
            if row is None or row["state"] != SlotState.OPEN.value:
                return
            op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
            outcome, state, stocked, loan_id = complete(conn, self.rules, op, row, self._item(slot_id), now)
            conn.execute("UPDATE locker_ops SET finished_at = ?, outcome = ?, loan_id = ? WHERE id = ?",
                         (rfc3339(now), outcome, loan_id, op["id"]))
            self._set(conn, slot_id, now, state=state, stocked=stocked, op_id=None, door_open_since=None, alarm=0)
        self.publish("locker", slot=slot_id, op_id=op["id"], phase=outcome)

    def item_changed(self, conn: sqlite3.Connection, slot_id: str, present: bool) -> None:
        """Items count only when a door shuts after an operation; a change behind a shut door is only logged."""
        if self._door(slot_id) == "closed" and (row := self._row(conn, slot_id)) is not None \
                and row["state"] not in {s.value for s in PENDING}:
            log.warning("slot %s: item sensor says %s behind a shut door; ignored", slot_id,
                        "present" if present else "absent")

    # -- the clock ----------------------------------------------------------
    def tick(self, conn: sqlite3.Connection) -> None:
        """Time-driven checks, and reconciliation with the sensors (also the recovery on start)."""
        from .locker_ops import expire, overdue, watch_doors

        with self._lock:
            now = self.clock()
            for row in conn.execute("SELECT * FROM locker_slots").fetchall():
                if row["id"] not in self.purpose:
                    continue
                door = self._door(row["id"])
                if row["state"] == SlotState.RESERVED.value and door == "open":
                    self.door_changed(conn, row["id"], "open")
                elif row["state"] == SlotState.RESERVED.value:
                    expire(self, conn, row, now)
                elif row["state"] == SlotState.OPEN.value and door == "closed":
                    self.door_changed(conn, row["id"], "closed")
            watch_doors(self, conn, now)
            overdue(self, conn, now)
