"""The running station: configuration, database and hardware ports, wired together.

Driver threads call in here (a card tap, a door change); the station writes
what must be recorded and tells the screens through the bus. It holds one
database connection per thread, because sqlite3 connections are not shared.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from . import commands, device_state, documents, inbox, ledger, members, outbox, store
from .bus import Bus
from .checkin import TapOutcome, Visits
from .clock import Clock, utc_now
from .config import Config
from .errors import VStationError
from .help_slip import help_slip
from .lockers import Lockers, Started
from .ports import CardReader, LockerBank, Printer, Voice, state_word
from .printing import print_slip
from .queue import Issued, Queue
from .requests import HelpDesk, HelpRequest
from .shop import Redemption, Shop, catalog
from .slips import receipt_slip, ticket_slip
from .tickets import Ticket

log = logging.getLogger(__name__)
CARD_FRESH_S = 60.0        # a tapped card counts for a sign-in this long
HOUSEKEEPING_S = 60.0
COMMAND_POLL_S = 0.5      # how often the kiosk looks for district commands in the inbox
DEVICE_HEARTBEAT_S = 10.0  # device states are re-recorded this often (telemetry calls older than 3 intervals unknown)


@dataclass(frozen=True)
class TakenTicket:
    issued: Issued
    printed: bool


class Station:
    """One station's core, shared by the web face and the hardware threads."""

    def __init__(self, config: Config, *, printer: Printer, reader: CardReader,
                 lockers: LockerBank, bus: Bus | None = None, clock: Clock = utc_now,
                 voice: Voice | None = None) -> None:
        self._base_config = self._config = config   # station.toml; `config` adds the district's applied one
        self._config_version = 0
        self.voice = voice
        self.clock = clock
        self._queue = Queue(config, clock=clock)
        self._visits = Visits(config, clock=clock)
        self.shop = Shop(config.station.timezone)
        self._requests = HelpDesk(config.help, clock=clock)
        self._last_card: tuple[str, float] | None = None
        self._stopping = threading.Event()
        self._housekeeper: threading.Thread | None = None
        self._wake = threading.Condition()      # `_soon` wakes the housekeeping loop early for a locker check
        self._check_at = float("inf")
        self.printer = printer
        self.reader = reader
        self.lockers = lockers
        self.bus = bus or Bus()
        self.locker_core = Lockers(config.lockers, lockers, clock=clock, publish=self.bus.publish,
                                   schedule=self._soon)
        self.started_at = time.time()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._devices_lock = threading.Lock()  # a heartbeat must not overwrite a newer door change

    @property
    def id(self) -> str:
        return self.config.station.id

    @property
    def config(self) -> Config:
        """The config in force: station.toml with the district's latest applied `config` document over it.

        The version is looked up on each use (one indexed read), so a document the sync process applies
        takes effect at the next ticket, tap or screen without a restart.
        """
        try:
            version = documents.applied_version(self.db(), "config")
            if version != self._config_version:
                self._use_config(*documents.effective_config(self.db(), self._base_config))
        except (sqlite3.Error, VStationError):      # keep the config in force; the next use looks again
            log.exception("district config could not be read; keeping version %d", self._config_version)
        return self._config

    def _use_config(self, config: Config, version: int) -> None:
        """Put a new config in force: the parts built from it are rebuilt."""
        self._config, self._config_version = config, version
        self._queue = Queue(config, clock=self.clock)
        self._visits = Visits(config, clock=self.clock)
        self._requests = HelpDesk(config.help, clock=self.clock)
        log.info("district config version %d in force", version)

    @property
    def queue(self) -> Queue:
        """The queue rules of the config in force."""
        self.config
        return self._queue

    @property
    def requests(self) -> HelpDesk:
        """The help-request rules of the config in force (the district's categories)."""
        self.config
        return self._requests

    @property
    def visits(self) -> Visits:
        """The check-in rules of the config in force."""
        self.config
        return self._visits

    def db(self) -> sqlite3.Connection:
        """This thread's connection to the station database."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self._base_config.database_path)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def start(self) -> None:
        """Listen to the hardware: from here on, taps and doors reach the screens."""
        self.reader.when_card = self.card_tapped
        self.locker_core.setup(self.db())
        self.locker_core.tick(self.db())    # resolves operations a killed kiosk left between door-open and -shut
        self.lockers.when_door = self.door_changed
        self.lockers.when_item = self.item_changed
        self.reader.start()
        self._housekeeper = threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True)
        self._housekeeper.start()
        self._commander = threading.Thread(target=self._run_commands, name="district-commands", daemon=True)
        self._commander.start()

    def _run_commands(self) -> None:
        """Run the district's hardware commands from the inbox, looking about twice a second."""
        try:
            inbox.interrupted(self.db(), "kiosk")
        except Exception:
            log.exception("inbox: interrupted commands not closed")
        while not self._stopping.wait(COMMAND_POLL_S):
            try:
                commands.run_pending(self)
            except Exception:  # keep polling; the next round tries again
                log.exception("inbox: running district commands failed")

    def _housekeeping(self) -> None:
        """Record device states every few seconds; every minute check out visits left open past closing."""
        last_visits = time.monotonic()
        while True:
            try:
                self.locker_core.tick(self.db())
                self.record_devices()
                if time.monotonic() - last_visits >= HOUSEKEEPING_S:
                    last_visits = time.monotonic()
                    self.visits.close_forgotten(self.db())
            except Exception:  # keep the loop alive; the next round tries again
                log.exception("housekeeping failed")
            if self._wait_for_check(DEVICE_HEARTBEAT_S):
                return

    def _wait_for_check(self, longest: float) -> bool:
        """Sleep until the next heartbeat or an earlier locker check asked by `_soon`; True when stopping."""
        deadline = time.monotonic() + longest
        with self._wake:
            while not self._stopping.is_set():
                due = min(deadline, self._check_at)
                if time.monotonic() >= due:
                    self._check_at = float("inf")
                    return False
                self._wake.wait(due - time.monotonic())
        return True

    def record_devices(self) -> None:
        """Write each device's state for the sync process's telemetry (the kiosk alone holds the hardware)."""
        with self._devices_lock:
            self._record_devices()

    def _record_devices(self) -> None:
        hw, conn = self.hardware_state(), self.db()
        device_state.record(conn, "printer", hw["printer"])
        device_state.record(conn, "reader", hw["card_reader"])
        for view in self.locker_core.overview(conn):
            device_state.record(conn, f"locker.{view.id}", view.word, {
                "door": view.door, "state": view.state.value, "purpose": view.purpose, "item": view.item,
                "stocked": view.stocked, "alarm": view.alarm, "failures": view.failures})

    def stop(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        if getattr(self, "_commander", None):
            self._commander.join(timeout=10)
        if self._housekeeper:
            self._housekeeper.join(timeout=5)
        self.reader.stop()
        self.lockers.close()
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()

    def card_tapped(self, uid: str) -> None:
        """A card was read: check the member in or out (or only pick the card, on a capturing screen)."""
        self._last_card = (uid, time.monotonic())
        try:
            conn = self.db()
            member = members.find_by_card(conn, uid)
            if member is None:
                with store.transaction(conn):
                    outbox.append(conn, "card.unknown", {"uid": members.mask_uid(uid)})
                log.info("unknown card %s", members.mask_uid(uid))
                self.bus.publish("card", known=False, uid=members.mask_uid(uid))
                return
            if self.bus.has_mode("capture"):
                self.bus.publish("card", known=True, outcome="captured", member_id=member.id, name=member.name,
                                 role=member.role, balance=ledger.balance(conn, member.id))
                return
            self._publish_tap(self.visits.tap(conn, member))
        except Exception:  # a driver thread must survive a bad tap
            log.exception("card tap %s could not be handled", members.mask_uid(uid))
            self.bus.publish("card", known=False, error=True, uid=members.mask_uid(uid))

    def _publish_tap(self, outcome: TapOutcome) -> None:
        m = outcome.member
        log.info("member %s: %s", m.id, outcome.kind)
        self.bus.publish("card", known=True, outcome=outcome.kind, member_id=m.id, name=m.name, role=m.role,
                         balance=outcome.balance, minutes=outcome.minutes, points=outcome.points,
                         checked_in=outcome.checked_in, tasks=self.requests.open_task_count(self.db(), m.id))

    def fresh_card(self) -> str | None:
        """The card tapped in the last minute, if any: whose PIN a staff sign-in checks."""
        if self._last_card and time.monotonic() - self._last_card[1] < CARD_FRESH_S:
            return self._last_card[0]
        return None

    def forget_card(self) -> None:
        self._last_card = None

    # -- the queue ---------------------------------------------------------
    def take_ticket(self, service_id: str, *, priority: bool = False, request_key: str | None = None,
                    lang: str = "zh") -> TakenTicket:
        """Issue a ticket and print it once; a failed print leaves the ticket valid on screen."""
        conn = self.db()
        issued = self.queue.issue(conn, service_id, priority=priority, request_key=request_key)
        printed = issued.ticket.printed
        if issued.new:
            printed = print_slip(self, ticket_slip(self.config, issued, lang), what="ticket")
            if printed:
                self.queue.mark_printed(conn, issued.ticket.id)
            self.bus.publish("queue", service=issued.ticket.service)
        return TakenTicket(issued, printed)

    def ask_for_help(self, category: str, phone: str, details: list[str], preferred_time: str, *, consent: bool,
                     key: str, lang: str = "zh") -> tuple[HelpRequest, bool]:
        """Record a resident's help request and print its slip once; (request, printed)."""
        req = self.requests.create(self.db(), category, phone, details, preferred_time, consent=consent, key=key,
                                   lang=lang)
        if not req.new:
            return req, False
        return req, print_slip(self, help_slip(self.config, req, lang), what="help_request")

    def redeem(self, member_id: str, cart: list[tuple[str, int]], *, staff_id: str, key: str
               ) -> tuple[Redemption, bool]:
        """Redeem a cart for a member and print the receipt once; (redemption, printed)."""
        conn = self.db()
        redemption = self.shop.redeem(conn, member_id, cart, staff_id=staff_id, key=key, now=self.clock())
        if not redemption.new:
            return redemption, False
        names = {g.id: g.name["zh"] for g in catalog(conn, active_only=False)}
        member_name = conn.execute("SELECT name FROM members WHERE id = ?", (member_id,)).fetchone()[0]
        staff_row = conn.execute("SELECT name FROM members WHERE id = ?", (staff_id,)).fetchone()
        slip = receipt_slip(self.config, redemption, member_name, staff_row[0] if staff_row else staff_id, names)
        return redemption, print_slip(self, slip, what="receipt")

    def counter_action(self, action: str, counter: str, *, staff_id: str, ticket_id: str | None = None,
                       to_service: str | None = None) -> Ticket:
        """A staff action at a counter; calls are announced on the display."""
        conn, q = self.db(), self.queue
        if action == "call_next":
            ticket = q.call_next(conn, counter, staff_id=staff_id)
        elif action == "transfer":
            ticket = q.transfer(conn, ticket_id or "", counter, to_service or "", staff_id=staff_id)
        elif action in ("recall", "start", "done", "no_show"):
            ticket = getattr(q, action)(conn, ticket_id or "", counter, staff_id=staff_id)
        else:
            raise ValueError(f"unknown counter action {action!r}")
        if action in ("call_next", "recall"):
            self.bus.publish("call", ticket_id=ticket.id, number=ticket.number, counter=counter)
        self.bus.publish("queue", service=ticket.service)
        return ticket

    def door_changed(self, slot_id: str, state: str) -> None:
        """A door sensor changed (driver thread): move the slot's state machine, tell telemetry and screens."""
        word = state_word(state)
        try:
            self.locker_core.door_changed(self.db(), slot_id, word)
            self.record_devices()
        except Exception:  # the screen still hears of it; the housekeeping loop reconciles with the sensor
            log.exception("door change of %s not handled", slot_id)
        self.bus.publish("door", slot=slot_id, state=word)

    def item_changed(self, slot_id: str, present: bool) -> None:
        """An item sensor changed (driver thread): it counts when the door shuts; here only logged."""
        try:
            self.locker_core.item_changed(self.db(), slot_id, present)
        except Exception:
            log.exception("item change of %s not handled", slot_id)

    def _soon(self, delay: float) -> None:
        """Have the housekeeping loop run the lockers' checks after `delay` seconds (a door timeout, a settled door)."""
        with self._wake:
            self._check_at = min(self._check_at, time.monotonic() + delay)
            self._wake.notify_all()

    def locker_action(self, action: str, uid: str | None) -> Started:
        """A resident's locker action: borrow | return | deposit | collect, by the card `uid` (return: or none)."""
        conn, core = self.db(), self.locker_core
        member = members.find_by_card(conn, uid) if uid else None
        if action == "return":
            started = core.give_back(conn, member)
        elif uid is None:
            started = Started("no_card")
        elif action == "borrow":
            started = core.borrow(conn, member)
        elif action == "deposit":
            started = core.deposit(conn, uid, member)
        elif action == "collect":
            started = core.collect(conn, uid, member)
        else:
            raise ValueError(f"unknown locker action {action!r}")
        if started.word == "opening":
            self.record_devices()
        log.info("locker %s by %s: %s %s", action, members.mask_uid(uid) if uid else "button", started.word,
                 started.slot_id or "")
        return started

    def open_door(self, slot_id: str, *, reason: str, by: str) -> str:
        """Open one locker door for staff or the district, recording who and why (`locker.opened`).

        Waits until the door sensor confirms the door opened (at most `open_timeout_seconds`).
        Returns an outcome word: "opened", "no_such_slot", "busy" (an operation is under way on
        that door) or "fault" (the door did not open). The district's remote "open a locker
        door" command calls exactly this.
        """
        conn, core = self.db(), self.locker_core
        started = core.staff_open(conn, slot_id, reason=reason, by=by)
        if started.word != "opening":
            return "fault" if started.word == "not_opened" else started.word
        deadline = time.monotonic() + self.config.lockers.options["open_timeout_seconds"] + 0.5
        while True:
            status = core.status(conn, started.op_id or "")
            if status is not None and status.phase != "waiting":
                break
            if time.monotonic() > deadline:
                core.tick(conn)
                status = core.status(conn, started.op_id or "")
                break
            self._stopping.wait(0.05)
        self.record_devices()
        return "fault" if status is None or status.phase in ("waiting", "not_opened") else "opened"

    def hardware_state(self) -> dict[str, Any]:
        """What each device reports now, in the words of the telemetry contract."""
        doors = {}
        for slot in self.lockers.slot_ids:
            door = self.lockers.door(slot)
            doors[slot] = None if door is None else state_word(door)
        return {
            "printer": state_word(self.printer.state()),
            "card_reader": state_word(self.reader.state),
            "lockers": doors,
        }

