"""Help requests: residents order (群众点单), the community dispatches (社区派单), members take the order (党员接单).

A resident asks at the screen for help of a configured category, leaving a
phone number with consent to share it with the member who takes the task.
The district dispatches the request to a member (a signed command that the
kiosk executes through `HelpDesk.dispatch`); the member sees it at their next
card tap, accepts it, and marks it done with a preset outcome (points by the
district's rule go through the ledger, once) or hands it back with a reason.
The resident follows the status by the request number and rates it once done.

Every change and its `request.*` event are one `BEGIN IMMEDIATE` transaction.
The phone number and a door-step request's address (kiosk/help/address.py)
stay at the station: events carry them masked, and nothing here ever logs them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..base import outbox, store
from ..base.clock import Clock, rfc3339, utc_now
from ..base.errors import Refusal
from ..config.help import HelpSettings
from ..members import ledger
from .address import DOOR, Address

PREFERRED_TIMES = ("today_am", "today_pm", "tomorrow_am", "tomorrow_pm", "this_week")
OUTCOMES = ("solved", "partly", "referred")
HAND_BACK_REASONS = ("no_time", "not_suitable", "cannot_reach", "too_far")
MOBILE = re.compile(r"1[3-9][0-9]{9}")
FIRST_NUMBER = 1001
MAX_POINTS = 100
OPEN, DISPATCHED, ACCEPTED, DONE = "open", "dispatched", "accepted", "done"


class RequestError(Refusal):
    """A help-request action refused (asking, dispatching, accepting, finishing, rating)."""


def mask_phone(phone: str) -> str:
    """A phone number safe for screens and events: 13812345678 → 138****5678."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def valid_phone(phone: object) -> str:
    """A mainland mobile number (1[3-9] and nine digits) or RequestError; the number is never echoed."""
    if not isinstance(phone, str) or not MOBILE.fullmatch(phone):
        raise RequestError("bad_phone", "not a mainland mobile number (11 digits, 1[3-9]…)", status=400)
    return phone


@dataclass(frozen=True)
class HelpRequest:
    id: str
    number: str
    category: str
    details: tuple[str, ...]
    preferred_time: str
    phone: str
    state: str
    member_id: str | None
    points: int
    note: str
    outcome: str | None
    rating: int | None
    created_at: str
    updated_at: str
    address: Address | None = None   # door-step service only
    new: bool = True           # False when a retry returned what was already there

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


@dataclass(frozen=True)
class Step:
    kind: str                  # created, dispatched, accepted, handed_back, done, rated
    ts: str
    member_id: str | None
    detail: str
    member_name: str = ""


_COLUMNS = ("id, number, category, details, preferred_time, phone, state, member_id, points, note, outcome, "
            "rating, created_at, updated_at, address_building, address_unit, address_door")


def _from_row(row: sqlite3.Row, *, new: bool = True) -> HelpRequest:
    address = Address(row[14], row[15] or "", row[16]) if row[14] else None
    return HelpRequest(row[0], row[1], row[2], tuple(json.loads(row[3])), *row[4:14], address=address, new=new)


class HelpDesk:
    """The rules of help requests for one station; every method takes the caller's connection."""

    def __init__(self, settings: HelpSettings, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    # -- the resident ------------------------------------------------------
    def create(self, conn: sqlite3.Connection, category: str, phone: str, details: list[str] | tuple[str, ...],
               preferred_time: str, *, consent: bool, key: str, lang: str = "zh",
               address: tuple[object, object, object] | None = None) -> HelpRequest:
        """Record a resident's request with `request.created`; the same key returns the first one.

        `address` (building, unit, door) is required by a door-step category and refused by any other."""
        cat = self.settings.category(category)
        if cat is None:
            raise RequestError("unknown_category", f"no help category {category!r} here", status=404)
        valid_phone(phone)
        where = self.valid_address(cat.id, address)
        known = {d.id for d in cat.details}
        details = tuple(dict.fromkeys(details))
        if any(d not in known for d in details):
            raise RequestError("unknown_detail", f"details must be among {sorted(known)}", status=400)
        if preferred_time not in PREFERRED_TIMES:
            raise RequestError("bad_time", f"preferred time must be one of {', '.join(PREFERRED_TIMES)}", status=400)
        if consent is not True:
            raise RequestError("no_consent", "the resident did not agree to share the phone number", status=400)
        if not key:
            raise RequestError("no_key", "a request needs a one-time key", status=400)
        now = rfc3339(self.clock())
        with store.transaction(conn):
            row = conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE idem_key = ?", (key,)).fetchone()
            if row:
                return _from_row(row, new=False)
            last = conn.execute("SELECT MAX(CAST(number AS INTEGER)) FROM help_requests").fetchone()[0]
            number = str(max(FIRST_NUMBER, (last or 0) + 1))
            request_id = str(uuid.uuid4())
            conn.execute("INSERT INTO help_requests (id, number, category, details, preferred_time, phone, "
                         "consent_at, lang, created_at, updated_at, idem_key, address_building, address_unit, "
                         "address_door) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (request_id, number, cat.id, json.dumps(list(details)), preferred_time, phone, now, lang,
                          now, now, key, *((where.building, where.unit, where.door) if where else (None,) * 3)))
            self._step(conn, request_id, "created", now)
            outbox.append(conn, "request.created", {
                "request_id": request_id, "number": number, "category": cat.id, "details": list(details),
                "preferred_time": preferred_time, "phone_masked": mask_phone(phone), "consent": True,
                "lang": lang, **({"building": where.building} if where else {})}, ts=now)
            return self._load(conn, request_id)

    def valid_address(self, category: str, address: tuple[object, object, object] | None) -> Address | None:
        """A door-step category's address (a listed building, one of its units, a door number of 1–5 digits),
        or a refusal naming what is wrong; the door number is never echoed."""
        cat = self.settings.category(category)
        if cat is None or not cat.address:
            if address and any(address):
                raise RequestError("no_address", f"category {category!r} takes no address", status=400)
            return None
        building, unit, door = address or (None, None, None)
        found = self.settings.building(building)
        if found is None:
            raise RequestError("bad_building", "choose one of the listed buildings", status=400)
        unit = "" if unit is None else unit
        if unit not in (found.units or ("",)):
            raise RequestError("bad_unit", f"choose one of the units of {found.id}", status=400)
        if not isinstance(door, str) or not DOOR.fullmatch(door) or not door.strip("0"):
            raise RequestError("bad_door", "a door number is 1 to 5 digits, not all zero", status=400)
        return Address(found.id, str(unit), door)

    def rate(self, conn: sqlite3.Connection, request_id: str, stars: object) -> HelpRequest:
        """The resident's 1–5 stars for a finished request (`request.rated`), once."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise RequestError("bad_stars", "a rating is 1 to 5 stars", status=400)
        now = rfc3339(self.clock())
        with store.transaction(conn):
            req = self._load(conn, request_id)
            if req.state != DONE:
                raise RequestError("not_done", "only a finished request can be rated")
            if req.rating is not None:
                raise RequestError("already_rated", "this request was already rated")
            conn.execute("UPDATE help_requests SET rating = ?, updated_at = ? WHERE id = ?", (stars, now, req.id))
            self._step(conn, req.id, "rated", now, req.member_id, str(stars))
            outbox.append(conn, "request.rated", {"request_id": req.id, "member_id": req.member_id,
                                                  "stars": stars}, ts=now)
            return self._load(conn, req.id)

    # -- the district ------------------------------------------------------
    def dispatch(self, conn: sqlite3.Connection, request_id: str, member_id: str, points: int = 0,
                 note: str = "") -> HelpRequest:
        """The district gives an open (or not yet accepted) request to a member (`request.dispatched`).

        The same dispatch again changes nothing (a re-delivered command); a
        request already accepted or done is not taken from its member.
        """
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_POINTS:
            raise RequestError("bad_points", f"points must be a whole number from 0 to {MAX_POINTS}", status=400)
        note = note if isinstance(note, str) else ""
        now = rfc3339(self.clock())
        with store.transaction(conn):
            req = self._load(conn, request_id)
            if conn.execute("SELECT 1 FROM members WHERE id = ? AND active = 1 AND role <> 'staff'",
                            (member_id,)).fetchone() is None:
                raise RequestError("unknown_member", f"no member {member_id!r} at this station", status=404)
            if req.state == DISPATCHED and req.member_id == member_id and req.points == points:
                return _from_row(conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE id = ?",
                                              (req.id,)).fetchone(), new=False)
            if req.state in (ACCEPTED, DONE):
                raise RequestError("already_" + req.state, f"the request is {req.state} by its member")
            conn.execute("UPDATE help_requests SET state = 'dispatched', member_id = ?, points = ?, note = ?, "
                         "updated_at = ? WHERE id = ?", (member_id, points, note[:200], now, req.id))
            self._step(conn, req.id, "dispatched", now, member_id)
            outbox.append(conn, "request.dispatched", {"request_id": req.id, "member_id": member_id,
                                                       "points": points}, ts=now)
            return self._load(conn, req.id)

    # -- the member --------------------------------------------------------
    def accept(self, conn: sqlite3.Connection, request_id: str, member_id: str) -> HelpRequest:
        """The member takes on a task dispatched to them (`request.accepted`)."""
        now = rfc3339(self.clock())
        with store.transaction(conn):
            req = self._mine(conn, request_id, member_id)
            if req.state == ACCEPTED:
                raise RequestError("already_accepted", "this task was already accepted")
            if req.state != DISPATCHED:
                raise RequestError("already_done", "this task is already done")
            conn.execute("UPDATE help_requests SET state = 'accepted', updated_at = ? WHERE id = ?", (now, req.id))
            self._step(conn, req.id, "accepted", now, member_id)
            outbox.append(conn, "request.accepted", {"request_id": req.id, "member_id": member_id}, ts=now)
            return self._load(conn, req.id)

    def done(self, conn: sqlite3.Connection, request_id: str, member_id: str, outcome: str) -> HelpRequest:
        """The member finished an accepted task (`request.done`); its points go through the ledger once."""
        if outcome not in OUTCOMES:
            raise RequestError("bad_outcome", f"outcome must be one of {', '.join(OUTCOMES)}", status=400)
        now = self.clock()
        with store.transaction(conn):
            req = self._mine(conn, request_id, member_id)
            if req.state == DISPATCHED:
                raise RequestError("not_accepted", "accept the task before marking it done")
            if req.state == DONE:
                raise RequestError("already_done", "this task is already done")
            conn.execute("UPDATE help_requests SET state = 'done', outcome = ?, updated_at = ? WHERE id = ?",
                         (outcome, rfc3339(now), req.id))
            self._step(conn, req.id, "done", rfc3339(now), member_id, outcome)
            outbox.append(conn, "request.done", {"request_id": req.id, "member_id": member_id, "outcome": outcome,
                                                 "points": req.points}, ts=rfc3339(now))
            if req.points:
                ledger.add(conn, member_id, req.points, "help_request", key=f"request-done:{req.id}",
                           author="district", note=f"求助 {req.number}", now=now)
            return self._load(conn, req.id)

    def hand_back(self, conn: sqlite3.Connection, request_id: str, member_id: str, reason: str) -> HelpRequest:
        """The member gives a task back with a preset reason; it is open again for the district."""
        if reason not in HAND_BACK_REASONS:
            raise RequestError("bad_reason", f"reason must be one of {', '.join(HAND_BACK_REASONS)}", status=400)
        now = rfc3339(self.clock())
        with store.transaction(conn):
            req = self._mine(conn, request_id, member_id)
            if req.state == DONE:
                raise RequestError("already_done", "this task is already done")
            conn.execute("UPDATE help_requests SET state = 'open', member_id = NULL, points = 0, note = '', "
                         "updated_at = ? WHERE id = ?", (now, req.id))
            self._step(conn, req.id, "handed_back", now, member_id, reason)
            outbox.append(conn, "request.handed_back", {"request_id": req.id, "member_id": member_id,
                                                        "reason": reason}, ts=now)
            return self._load(conn, req.id)

    # -- reading -----------------------------------------------------------
    def get(self, conn: sqlite3.Connection, request_id: str) -> HelpRequest:
        return self._load(conn, request_id)

    def find(self, conn: sqlite3.Connection, number: str) -> HelpRequest:
        """A request by the number on its slip."""
        row = conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE number = ?",
                           (str(number).strip()[:12],)).fetchone()
        if row is None:
            raise RequestError("not_found", "no request with this number", status=404)
        return _from_row(row, new=False)

    def timeline(self, conn: sqlite3.Connection, request_id: str) -> list[Step]:
        """What happened to a request, oldest first."""
        rows = conn.execute("SELECT s.kind, s.ts, s.member_id, s.detail, COALESCE(m.name, '') FROM help_request_steps s "
                            "LEFT JOIN members m ON m.id = s.member_id WHERE s.request_id = ? ORDER BY s.id",
                            (request_id,)).fetchall()
        return [Step(*r) for r in rows]

    def tasks_for(self, conn: sqlite3.Connection, member_id: str, *, done_limit: int = 5) -> list[HelpRequest]:
        """The member's open tasks (dispatched, accepted), then their last few done, as the station knows them."""
        open_rows = conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE member_id = ? AND state IN "
                                 "('dispatched', 'accepted') ORDER BY created_at", (member_id,)).fetchall()
        done_rows = conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE member_id = ? AND state = 'done' "
                                 "ORDER BY updated_at DESC LIMIT ?", (member_id, done_limit)).fetchall()
        return [_from_row(r, new=False) for r in open_rows + done_rows]

    def open_task_count(self, conn: sqlite3.Connection, member_id: str) -> int:
        return conn.execute("SELECT COUNT(*) FROM help_requests WHERE member_id = ? AND state IN "
                            "('dispatched', 'accepted')", (member_id,)).fetchone()[0]

    def _mine(self, conn: sqlite3.Connection, request_id: str, member_id: str) -> HelpRequest:
        req = self._load(conn, request_id)
        if req.member_id != member_id or req.state == OPEN:
            raise RequestError("not_yours", "this task was not dispatched to this member", status=403)
        return req

    def _load(self, conn: sqlite3.Connection, request_id: str) -> HelpRequest:
        row = conn.execute(f"SELECT {_COLUMNS} FROM help_requests WHERE id = ?", (str(request_id),)).fetchone()
        if row is None:
            raise RequestError("not_found", "no such request", status=404)
        return _from_row(row)

    @staticmethod
    def _step(conn: sqlite3.Connection, request_id: str, kind: str, ts: str, member_id: str | None = None,
              detail: str = "") -> None:
        conn.execute("INSERT INTO help_request_steps (request_id, kind, ts, member_id, detail) VALUES (?, ?, ?, ?, ?)",
                     (request_id, kind, ts, member_id, detail))


def age_minutes(ts: str, now: datetime) -> int:
    """Whole minutes since `ts` (what the station last knew of a task, for its age on screen)."""
    return max(0, int((now - datetime.fromisoformat(ts)).total_seconds() // 60))
