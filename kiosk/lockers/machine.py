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
from typing import Any, Callable

from ..base import outbox, store
from ..base.clock import Clock, parse_time, rfc3339, utc_now
from ..base.errors import Refusal
from ..base.ports import LockerBank
from ..config import LockerSettings
from ..members.cards import Member
from . import loans
from .outcomes import complete
from .slots import PENDING, Publish, Slots, SlotState
from .timers import expire, overdue, watch_doors

log = logging.getLogger(__name__)


class LockerRefusal(Refusal):
    """A locker action refused before any door was fired (unknown card, nothing free, …)."""


REFUSALS = {"already_borrowed": "this member already has an umbrella out",
            "already_deposited": "this card already has a phone in a locker",
            "none_available": "no free slot can open now",
            "no_space": "no empty umbrella slot to return to",
            "busy": "that slot is busy with another operation"}


@dataclass(frozen=True)
class Started:
    """A door operation under way: `word` is "opening", "busy" (this person's door is already
    open: the same operation) or "not_opened" (staff only: a slot without a sensor did not fire)."""
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
        """The telemetry word (docs/mqtt.md): free | in_use | open | fault."""
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
        self.slots = Slots(settings, bank, publish=publish, schedule=schedule)
        self.rules, self.purpose = self.slots.rules, self.slots.purpose
        self.clock = clock
        self._lock = threading.RLock()

    # -- reading ------------------------------------------------------------
    def overview(self, conn: sqlite3.Connection) -> list[SlotView]:
        """Every configured slot as staff and telemetry see it."""
        views = []
        for row in conn.execute("SELECT * FROM locker_slots ORDER BY id").fetchall():
            if row["id"] not in self.purpose:
                continue
            loan = loans.in_slot(conn, row["id"]) if row["purpose"] == "charging" else None
            views.append(SlotView(row["id"], row["purpose"], SlotState(row["state"]), bool(row["stocked"]),
                                  self.slots.door(row["id"]), self.slots.item(row["id"]), bool(row["alarm"]),
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
                item = self.slots.item(slot_id)
                stocked = int(purpose == "umbrella" and item is not False)
                conn.execute("INSERT INTO locker_slots (id, purpose, stocked, updated_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose",
                             (slot_id, purpose, stocked, now))

    def borrow(self, conn: sqlite3.Connection, member: Member | None) -> Started:
        """A member borrows an umbrella: a stocked slot opens."""
        if member is None:
            raise LockerRefusal("unknown_card", "this card is not registered", status=403)
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
            raise LockerRefusal("nothing_deposited", "this card has no phone in a locker")
        return self._start(conn, "collect", member=member, by=member.id if member else "card", card=hashed,
                           loan_id=loan.id, slot_id=loan.slot_id, none_word="busy")

    def staff_open(self, conn: sqlite3.Connection, slot_id: str, *, reason: str, by: str) -> Started:
        """Staff or the district open any door (also a faulted one), with the reason recorded."""
        if slot_id not in self.purpose:
            raise LockerRefusal("no_such_slot", f"no locker slot {slot_id!r}", status=404)
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
                raise LockerRefusal(refusal, REFUSALS[refusal])
            slot = self._choose(conn, pick, slot_id, staff)
            if slot is None:
                raise LockerRefusal(none_word, REFUSALS[none_word])
            now, op_id = self.clock(), str(uuid.uuid4())
            sensorless = self.slots.door(slot["id"]) is None     # staff only: the relay is all we know
            with store.transaction(conn):
                conn.execute("INSERT INTO locker_ops (id, slot_id, op, member_id, card_hash, loan_id, by, reason, "
                             "back_to, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (op_id, slot["id"], op, member.id if member else None, card, loan_id, by, reason,
                              slot["state"], rfc3339(now)))
                self.slots.set(conn, slot["id"], now, state=SlotState.RESERVED.value, op_id=op_id)
            try:
                self.slots.bank.unlock(slot["id"])
                fired = True
            except Exception:   # never retried: the door sensor alone decides whether it opened
                log.exception("lock of %s did not confirm; waiting for the door", slot["id"])
                fired = False
            if sensorless:
                if not fired:
                    expire(self.slots, conn, self.slots.row(conn, slot["id"]), self.clock(), force=True)
                    return Started("not_opened", slot["id"], op_id)
                self.door_changed(conn, slot["id"], "open")
                self._finish(conn, slot["id"], self.clock())
            self.slots.schedule(self.rules["open_timeout_seconds"] + 0.1)
            return Started("opening", slot["id"], op_id)

    def _choose(self, conn: sqlite3.Connection, pick: str, slot_id: str | None, staff: bool) -> Any:
        """A slot for the operation: shut, idle, with a sensor that can confirm (staff: any idle slot)."""
        if slot_id:
            row = self.slots.row(conn, slot_id)
            ok = row is not None and row["state"] not in PENDING
            if ok and not staff:
                ok = row["state"] == SlotState.IN_USE.value and self.slots.door(slot_id) == "closed"
            return row if ok else None
        for row in conn.execute(f"SELECT * FROM locker_slots WHERE state = 'free' AND {pick}").fetchall():
            if row["id"] in self.purpose and self.slots.door(row["id"]) == "closed" and self.slots.item(row["id"]) in (
                    None, row["purpose"] == "umbrella" and bool(row["stocked"])):
                return row
        return None

    # -- the doors ----------------------------------------------------------
    def door_changed(self, conn: sqlite3.Connection, slot_id: str, word: str) -> None:
        """A door sensor changed: confirm a waiting opening, or complete an operation when shut."""
        with self._lock:
            row = self.slots.row(conn, slot_id)
            if row is None:
                return
            now = self.clock()
            if word == "open":
                with store.transaction(conn):
                    if row["door_open_since"] is None:
                        self.slots.set(conn, slot_id, now, door_open_since=rfc3339(now))
                    if row["state"] == SlotState.RESERVED.value:
                        self._confirm_open(conn, row, now)
                if self.slots.door(slot_id) == "closed":
                    # the shut arrived first (two sensor threads): look again once settled, not at the next beat
                    self.slots.schedule(self.rules["door_settle_seconds"] + 0.05)
            elif word == "closed":
                if row["state"] == SlotState.OPEN.value:
                    op = conn.execute("SELECT opened_at FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
                    left = self.rules["door_settle_seconds"] - (now - parse_time(op["opened_at"])).total_seconds()
                    if left <= 0 and self.slots.door(slot_id) == "closed":
                        self._finish(conn, slot_id, now)
                    elif left > 0:     # perhaps a flicker: read the sensor again once settled
                        self.slots.schedule(left + 0.05)
                    return
                with store.transaction(conn):
                    self.slots.set(conn, slot_id, now, door_open_since=None, alarm=0)

    def _confirm_open(self, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> None:
        op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
        conn.execute("UPDATE locker_ops SET opened_at = ? WHERE id = ?", (rfc3339(now), op["id"]))
        self.slots.set(conn, row["id"], now, state=SlotState.OPEN.value, failures=0)
        outbox.append(conn, "locker.opened", {"slot": row["id"], "op": op["op"], "op_id": op["id"],
                                              "by": op["by"], "reason": op["reason"],
                                              "member_id": op["member_id"]}, ts=rfc3339(now))
        self.slots.publish("locker", slot=row["id"], op_id=op["id"], phase="open")

    def _finish(self, conn: sqlite3.Connection, slot_id: str, now: datetime) -> None:
        """The door is shut after an opening: what the operation achieved, in one transaction."""
        with self._lock, store.transaction(conn):
            row = self.slots.row(conn, slot_id)
            if row is None or row["state"] != SlotState.OPEN.value:
                return
            op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
            outcome, state, stocked, loan_id = complete(conn, self.rules, op, row, self.slots.item(slot_id), now)
            conn.execute("UPDATE locker_ops SET finished_at = ?, outcome = ?, loan_id = ? WHERE id = ?",
                         (rfc3339(now), outcome, loan_id, op["id"]))
            self.slots.set(conn, slot_id, now, state=state, stocked=stocked, op_id=None, door_open_since=None, alarm=0)
        self.slots.publish("locker", slot=slot_id, op_id=op["id"], phase=outcome)

    def item_changed(self, conn: sqlite3.Connection, slot_id: str, present: bool) -> None:
        """Items count only when a door shuts after an operation; a change behind a shut door is only logged."""
        if self.slots.door(slot_id) == "closed" and (row := self.slots.row(conn, slot_id)) is not None \
                and row["state"] not in PENDING:
            log.warning("slot %s: item sensor says %s behind a shut door; ignored", slot_id,
                        "present" if present else "absent")

    # -- the clock ----------------------------------------------------------
    def tick(self, conn: sqlite3.Connection) -> None:
        """Time-driven checks, and reconciliation with the sensors (also the recovery on start)."""
        with self._lock:
            now = self.clock()
            for row in self.slots.configured_rows(conn):
                door = self.slots.door(row["id"])
                if row["state"] == SlotState.RESERVED.value and door == "open":
                    self.door_changed(conn, row["id"], "open")
                elif row["state"] == SlotState.RESERVED.value:
                    expire(self.slots, conn, row, now)
                elif row["state"] == SlotState.OPEN.value and door == "closed":
                    self.door_changed(conn, row["id"], "closed")
            watch_doors(self.slots, conn, now)
            overdue(self.slots, conn, now)
