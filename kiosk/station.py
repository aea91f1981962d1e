"""The running station: the composition root of the kiosk process, and its use cases.

It wires configuration, database and hardware ports to the domain rules
(tickets, members, shop, lockers, help, district). Driver threads call in here
(a card tap, a door change); the web face calls its use cases (take a ticket,
redeem, open a door). Each use case writes what must be recorded through the
domain's rules, prints what goes on paper and tells the screens through the
bus. It holds one database connection per thread, because sqlite3
connections are not shared.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from .base import device_state, outbox, store
from .base.bus import Bus
from .base.clock import Clock, utc_now
from .base.printing import PrinterWatch
from .base.ports import CardReader, LockerBank, Printer, Voice, state_word
from .config import Config
from .config.schedule import passed
from .counter_desk import CounterDesk
from .district.in_force import ConfigInForce
from .help.desk import HelpDesk, HelpRequest
from .help.slip import help_slip
from .lockers.machine import LockerRefusal, Lockers, Started
from .members import cards, ledger, sessions
from .members.duty import Duty
from .members.ledger import Entry
from .members.taps import Taps
from .members.visits import TapOutcome, Visits
from .printing.desk import PrintDesk
from .printing.jobs import Job
from .shop.receipt import receipt_slip
from .shop.supermarket import Redemption, Shop, catalog
from .tickets.calling import Issued, Queue
from .tickets.slips import ticket_slip
from .tickets.ticket import Ticket
from .upkeep.alerts import Alert, AlertWatch, staff_alerts
from .upkeep.chores import Chore, Chores
from .upkeep.day_report import DayReport, day_report, report_slip
from .upkeep.printer_check import test_page

log = logging.getLogger(__name__)
STAFF_IDLE_S = 120.0       # a staff session at the residents' screen ends after this long without an action
HOUSEKEEPING_S = 60.0      # visits and duties left open past closing are looked for this often
DEVICE_HEARTBEAT_S = 10.0  # device states are re-recorded this often (telemetry calls older than 3 intervals unknown)


@dataclass(frozen=True)
class TakenTicket:
    issued: Issued
    job: Job | None             # its print job (None: it has none, it was never sent)


class Station:
    """One station's core, shared by the web face and the hardware threads."""

    def __init__(self, config: Config, *, printer: Printer, reader: CardReader,
                 lockers: LockerBank, bus: Bus | None = None, clock: Clock = utc_now,
                 voice: Voice | None = None) -> None:
        self.voice = voice
        self.clock = clock
        self.printer = printer
        self.reader = reader
        self.lockers = lockers
        self.bus = bus or Bus()
        self.printer_watch = PrinterWatch(self.bus)
        self.alert_watch = AlertWatch(self.bus)
        self.started_at = time.time()
        self._in_force = ConfigInForce(config, on_change=lambda new, version: self._build_rules(new))
        self._build_rules(config)
        self.shop = Shop(config.station.timezone)
        self.taps = Taps()
        self._stopping = threading.Event()
        self.printing = PrintDesk(printer, self.bus, self.db, clock=clock, watch=self.printer_watch,
                                  when_printed={"ticket": lambda conn, ref: self.queue.mark_printed(conn, ref)})
        self._chores = Chores([Chore("lockers", lambda: self.locker_core.tick(self.db())),
                               Chore("devices", self.record_devices),
                               Chore("alerts", lambda: self.alert_watch.seen(self.staff_alerts())),
                               Chore("visits", lambda: self.visits.close_forgotten(self.db()), HOUSEKEEPING_S),
                               Chore("duty", lambda: self.duty.end_forgotten(self.db()), HOUSEKEEPING_S),
                               Chore("print jobs", self.printing.prune, self.printing.PRUNE_S)],
                              beat_s=DEVICE_HEARTBEAT_S)
        self.locker_core = Lockers(config.lockers, lockers, clock=clock, publish=self.bus.publish,
                                   schedule=self._chores.soon)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._devices_lock = threading.Lock()  # a heartbeat must not overwrite a newer door change
        self.desk = CounterDesk(queue=lambda: self.queue, db=self.db, bus=self.bus, clock=clock,
                                printing=self.printing)

    def _build_rules(self, config: Config) -> None:
        """The rules built from a config: rebuilt whenever the district's config comes into force."""
        self._queue = Queue(config, clock=self.clock)
        self._visits = Visits(config, clock=self.clock)
        self._requests = HelpDesk(config.help, clock=self.clock)
        self._duty = Duty(config, clock=self.clock)

    @property
    def id(self) -> str:
        return self.config.station.id

    @property
    def config(self) -> Config:
        """The config in force: a district `config` document the sync process applies counts at the next use."""
        return self._in_force.get(self.db())

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
    def duty(self) -> Duty:
        """The duty rules of the config in force (its calendar closes a forgotten duty)."""
        self.config
        return self._duty

    @property
    def visits(self) -> Visits:
        """The check-in rules of the config in force."""
        self.config
        return self._visits

    def db(self) -> sqlite3.Connection:
        """This thread's connection to the station database."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self._in_force.base.database_path)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    # -- life --------------------------------------------------------------
    def start(self) -> None:
        """Listen to the hardware: from here on, taps and doors reach the screens."""
        for problem in passed(self.config.schedules, date.fromisoformat(self.queue.today())):
            log.warning("%s: %s (ignored: a station starts after a holiday went by)", self.config.path, problem)
        self.reader.when_card = self.card_tapped
        self.locker_core.setup(self.db())
        self.locker_core.tick(self.db())    # resolves operations a killed kiosk left between door-open and -shut
        self.lockers.when_door = self.door_changed
        self.lockers.when_item = self.item_changed
        self.reader.start()
        self._chores.start()
        self.printing.start()

    def stop(self) -> None:
        self._stopping.set()
        self.printing.stop()
        self._chores.stop()
        self.reader.stop()
        self.lockers.close()
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()

    # -- the hardware's side -------------------------------------------------
    def card_tapped(self, uid: str) -> None:
        """A card was read: check the member in or out, or only pick the card for the screen that most recently
        began to capture taps (a staff screen at the kiosk, or a staff device waiting for a member's card)."""
        capturer = self.bus.capturer()
        tap = self.taps.record(uid, owner=capturer or None)
        try:
            conn = self.db()
            member = cards.find_by_card(conn, uid)
            if member is None:
                with store.transaction(conn):
                    outbox.append(conn, "card.unknown", {"uid": cards.mask_uid(uid)})
                log.info("unknown card %s", cards.mask_uid(uid))
                self.bus.publish("card", known=False, uid=cards.mask_uid(uid), tap=tap.id)
                return
            if capturer is not None:
                self.bus.publish("card", known=True, outcome="captured", member_id=member.id, name=member.name,
                                 role=member.role, balance=ledger.balance(conn, member.id), tap=tap.id,
                                 owner=capturer or None)
                return
            self._publish_tap(self.visits.tap(conn, member), tap.id)
        except Exception:  # a driver thread must survive a bad tap
            log.exception("card tap %s could not be handled", cards.mask_uid(uid))
            self.bus.publish("card", known=False, error=True, uid=cards.mask_uid(uid))

    def _publish_tap(self, outcome: TapOutcome, tap_id: str) -> None:
        m = outcome.member
        log.info("member %s: %s", m.id, outcome.kind)
        rules = self.config.points
        self.bus.publish("card", known=True, outcome=outcome.kind, member_id=m.id, name=m.name, role=m.role,
                         tap=tap_id, balance=outcome.balance, minutes=outcome.minutes, points=outcome.points,
                         short=outcome.short, capped=outcome.capped, min_minutes=rules.min_minutes,
                         daily_cap=rules.daily_cap, wait_s=outcome.wait_s,
                         checked_in=outcome.checked_in, tasks=self.requests.open_task_count(self.db(), m.id))

    # -- staff sessions ------------------------------------------------------
    def staff_session(self, token: str | None, *, touch: bool = True) -> sessions.StaffSession:
        """The live staff session of a browser's token, else SessionRefused: idle after STAFF_IDLE_S here, after
        the console's `idle_minutes` on a device, never while its counter has a number called or served."""
        conn = self.db()
        return sessions.check(conn, token, idle_s=STAFF_IDLE_S, device_idle_s=self.config.staff_console.idle_minutes
                              * 60, now=self.clock(), touch=touch,
                              in_service=lambda counter: self.queue.at_counter(conn, counter) is not None)

    def button_pressed(self, counter: str, button: str) -> None:
        """A counter's call button (driver thread): see CounterDesk.button_pressed."""
        self.desk.button_pressed(counter, button)

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

    def record_devices(self) -> None:
        """Write each device's state for the sync process's telemetry (the kiosk alone holds the hardware)."""
        with self._devices_lock:
            hw, conn = self.hardware_state(), self.db()
            device_state.record(conn, "printer", hw["printer"])
            self.printer_watch.seen(hw["printer"])
            device_state.record(conn, "reader", hw["card_reader"])
            for view in self.locker_core.overview(conn):
                device_state.record(conn, f"locker.{view.id}", view.word, {
                    "door": view.door, "state": view.state.value, "purpose": view.purpose, "item": view.item,
                    "stocked": view.stocked, "alarm": view.alarm, "failures": view.failures})

    def hardware_state(self) -> dict[str, Any]:
        """What each device reports now, in the words of the telemetry contract."""
        doors = {}
        for slot in self.lockers.slot_ids:
            door = self.lockers.door(slot)
            doors[slot] = None if door is None else state_word(door)
        return {
            "printer": self.printer_state(),
            "card_reader": state_word(self.reader.state),
            "lockers": doors,
        }

    def staff_alerts(self) -> list[Alert]:
        """What staff must see on every staff screen now (kiosk/upkeep/alerts.py)."""
        conn = self.db()
        return staff_alerts(conn, printer=self.printer_watch.last, slots=self.locker_core.overview(conn),
                            now=self.clock(), help_after_minutes=self.config.help.dispatch_alert_minutes)

    def printer_state(self) -> str:
        """The printer's word now: ok, paper_low, paper_out, offline or unknown."""
        return state_word(self.printer.state())

    def print_test_page(self) -> bool:
        """The staff's (or the district's) printer test; False, with `printer.fault`, when it did not print."""
        return self.printing.submit_and_wait(test_page(self.config, self.clock()), what="test_page")

    # -- the queue -------------------------------------------------------------
    def take_ticket(self, service_id: str, *, priority: bool = False, request_key: str | None = None,
                    lang: str = "zh") -> TakenTicket:
        """Issue a ticket and queue its slip once (answered at once; a failed print leaves it valid on screen)."""
        conn = self.db()
        issued = self.queue.issue(conn, service_id, priority=priority, request_key=request_key, language=lang)
        if not issued.new:
            return TakenTicket(issued, self.printing.job_of(issued.ticket.id))
        job = self.printing.submit(ticket_slip(self.config, issued, issued.ticket.language), what="ticket",
                                   ref=issued.ticket.id)
        self.bus.publish("queue", service=issued.ticket.service)
        return TakenTicket(issued, job)

    def counter_action(self, action: str, counter: str, *, staff_id: str, ticket_id: str | None = None,
                       to_service: str | None = None, number: str | None = None) -> Ticket:
        """A staff action at a counter (kiosk/counter_desk.py); calls are announced on the display."""
        return self.desk.action(action, counter, staff_id=staff_id, ticket_id=ticket_id, to_service=to_service,
                                number=number)

    def end_queue_day(self, *, by: str) -> list[Ticket]:
        """End today's waiting tickets (each stays recorded as cancelled, with its event)."""
        ended = self.queue.end_day(self.db(), by=by)
        for service in sorted({t.service for t in ended}):
            self.bus.publish("queue", service=service)
        return ended

    def daily_report(self) -> DayReport:
        """Today's report (local day): tickets, waits and ratings per service, the supermarket, duty hours."""
        return day_report(self.db(), self.config, self.queue.today(), shop=self.shop, duty=self.duty)

    def print_daily_report(self) -> bool:
        return self.printing.submit_and_wait(report_slip(self.config, self.daily_report()), what="report")

    # -- members and the supermarket ----------------------------------------
    def adjust_points(self, member_id: str, item_id: str, *, staff_id: str, key: str) -> tuple[Entry, int]:
        """Staff add or deduct points by one of the district's items; (the entry, the new balance)."""
        conn = self.db()
        entry = ledger.adjust(conn, self.config.points, member_id, item_id, staff_id=staff_id, key=key)
        return entry, ledger.balance(conn, member_id)

    def redeem(self, member_id: str, cart: list[tuple[str, int]], *, staff_id: str, key: str, lang: str = "zh"
               ) -> tuple[Redemption, Job | None]:
        """Redeem a cart for a member and queue the receipt once, in Chinese and `lang`; (redemption, its job)."""
        conn = self.db()
        redemption = self.shop.redeem(conn, member_id, cart, staff_id=staff_id, key=key, now=self.clock())
        if not redemption.new:
            return redemption, self.printing.job_of(redemption.id)
        names = {g.id: g.name for g in catalog(conn, active_only=False)}
        slip = receipt_slip(self.config, redemption, cards.name_of(conn, member_id) or member_id,
                            cards.name_of(conn, staff_id) or staff_id, names, lang)
        return redemption, self.printing.submit(slip, what="receipt", ref=redemption.id)

    # -- help requests ---------------------------------------------------------
    def ask_for_help(self, category: str, phone: str, details: list[str], preferred_time: str, *, consent: bool,
                     key: str, lang: str = "zh", address: tuple[str, str, str] | None = None
                     ) -> tuple[HelpRequest, Job | None]:
        """Record a resident's help request (door-step: with its address) and queue its slip once."""
        req = self.requests.create(self.db(), category, phone, details, preferred_time, consent=consent, key=key,
                                   lang=lang, address=address)
        if not req.new:
            return req, self.printing.job_of(req.id)
        return req, self.printing.submit(help_slip(self.config, req, lang), what="help_request", ref=req.id)

    def dispatch_request(self, request_id: str, member_id: str, points: int, note: str = "") -> HelpRequest:
        """The district gives a resident's request to a member (`request.dispatched`)."""
        return self.requests.dispatch(self.db(), request_id, member_id, points, note)

    # -- lockers -----------------------------------------------------------------
    def locker_action(self, action: str, uid: str | None) -> Started:
        """A resident's locker action: borrow | return | deposit | collect, by the card `uid` (return: or none).

        Raises LockerRefusal when no door opens (unknown card, nothing free, …).
        """
        conn, core = self.db(), self.locker_core
        member = cards.find_by_card(conn, uid) if uid else None
        who = cards.mask_uid(uid) if uid else "button"
        try:
            if action == "return":
                started = core.give_back(conn, member)
            elif uid is None:
                raise LockerRefusal("no_card", "tap a card first", status=400)
            elif action == "borrow":
                started = core.borrow(conn, member)
            elif action == "deposit":
                started = core.deposit(conn, uid, member)
            elif action == "collect":
                started = core.collect(conn, uid, member)
            else:
                raise ValueError(f"unknown locker action {action!r}")
        except LockerRefusal as exc:
            log.info("locker %s by %s: refused (%s)", action, who, exc.code)
            raise
        if started.word == "opening":
            self.record_devices()
        log.info("locker %s by %s: %s %s", action, who, started.word, started.slot_id or "")
        return started

    def open_door(self, slot_id: str, *, reason: str, by: str) -> str:
        """Open one locker door for staff or the district, recording who and why (`locker.opened`).

        Waits until the door sensor confirms the door opened (at most `open_timeout_seconds`), and
        returns "opened" or "fault" (the door did not open). Raises LockerRefusal "no_such_slot", or
        "busy" when an operation is under way on that door. The district's remote "open a locker
        door" command calls exactly this.
        """
        conn, core = self.db(), self.locker_core
        started = core.staff_open(conn, slot_id, reason=reason, by=by)
        if started.word != "opening":
            return "fault"
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
