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

from . import device_state, ledger, members, outbox, store
from .bus import Bus
from .checkin import TapOutcome, Visits
from .clock import Clock, utc_now
from .config import Config
from .ports import CardReader, LockerBank, Printer, Voice, state_word
from .printing import print_slip
from .queue import Issued, Queue
from .shop import Redemption, Shop, catalog
from .slips import receipt_slip, ticket_slip
from .tickets import Ticket

log = logging.getLogger(__name__)
CARD_FRESH_S = 60.0        # a tapped card counts for a sign-in this long
HOUSEKEEPING_S = 60.0
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
        self.config = config
        self.voice = voice
        self.clock = clock
        self.queue = Queue(config, clock=clock)
        self.visits = Visits(config, clock=clock)
        self.shop = Shop(config.station.timezone)
        self._last_card: tuple[str, float] | None = None
        self._stopping = threading.Event()
        self._housekeeper: threading.Thread | None = None
        self.printer = printer
        self.reader = reader
        self.lockers = lockers
        self.bus = bus or Bus()
        self.started_at = time.time()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._devices_lock = threading.Lock()  # a heartbeat must not overwrite a newer door change

    @property
    def id(self) -> str:
        return self.config.station.id

    def db(self) -> sqlite3.Connection:
        """This thread's connection to the station database."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self.config.database_path)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def start(self) -> None:
        """Listen to the hardware: from here on, taps and doors reach the screens."""
        self.reader.when_card = self.card_tapped
        self.lockers.when_door = self.door_changed
        self.reader.start()
        self._housekeeper = threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True)
        self._housekeeper.start()

    def _housekeeping(self) -> None:
        """Record device states every few seconds; every minute check out visits left open past closing."""
        last_visits = time.monotonic()
        while True:
            try:
                self.record_devices()
                if time.monotonic() - last_visits >= HOUSEKEEPING_S:
                    last_visits = time.monotonic()
                    self.visits.close_forgotten(self.db())
            except Exception:  # keep the loop alive; the next round tries again
                log.exception("housekeeping failed")
            if self._stopping.wait(DEVICE_HEARTBEAT_S):
                return

    def record_devices(self) -> None:
        """Write each device's state for the sync process's telemetry (the kiosk alone holds the hardware)."""
        with self._devices_lock:
            self._record_devices()

    def _record_devices(self) -> None:
        hw, conn = self.hardware_state(), self.db()
        device_state.record(conn, "printer", hw["printer"])
        device_state.record(conn, "reader", hw["card_reader"])
        for slot, door in hw["lockers"].items():
            device_state.record(conn, f"locker.{slot}", door or "unknown", {"door": door})

    def stop(self) -> None:
        self._stopping.set()
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
                         checked_in=outcome.checked_in)

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
        word = state_word(state)
        try:
            with self._devices_lock:
                device_state.record(self.db(), f"locker.{slot_id}", word, {"door": word})
        except Exception:  # the screen still hears of it; the heartbeat records it again
            log.exception("door state of %s not recorded", slot_id)
        self.bus.publish("door", slot=slot_id, state=word)

    def open_door(self, slot_id: str, *, reason: str, by: str) -> str:
        """Open one locker door for staff or the district, recording who and why (`locker.opened`).

        Returns an outcome word: "opened", "no_such_slot", "fault" (the lock would not fire) or
        "busy". The district's remote "open a locker door" command calls exactly this.
        """
        if slot_id not in self.lockers.slot_ids:
            return "no_such_slot"
        try:
            self.lockers.unlock(slot_id)
        except Exception:  # a driver error: nothing opened, nothing recorded as opened
            log.exception("locker %s could not be unlocked", slot_id)
            return "fault"
        conn = self.db()
        with store.transaction(conn):
            outbox.append(conn, "locker.opened", {"slot": slot_id, "reason": reason, "by": by})
        self.bus.publish("locker", slot=slot_id, outcome="opened")
        return "opened"

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

