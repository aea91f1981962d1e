"""A station over the real gpiozero locker driver on MockFactory pins, and a hand to work its doors."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.lockers import GpioLockerBank
from kiosk import demo
from kiosk.base import outbox, store
from kiosk.base.bus import Bus
from kiosk.config import Config
from kiosk.lockers.machine import LockerRefusal
from kiosk.station import Station

PINS = {"U1": (17, 27, 24), "U2": (22, 23, 25), "C1": (5, 6, 12), "C2": (13, 19, 16)}
RULES = {"open_timeout_seconds": 0.4, "door_settle_seconds": 0.0, "fault_after": 3, "door_alarm_seconds": 60,
         "umbrella_due_hours": 72, "charging_max_hours": 4, "overdue_points": 0}


def refused(action, *args, **kwargs) -> str:
    """The code of the LockerRefusal that a locker action raises (no door may open)."""
    with pytest.raises(LockerRefusal) as caught:
        action(*args, **kwargs)
    return caught.value.code


class FakeClock:
    """A clock the test moves (overdue after days, without waiting days)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)
        self.frozen = False

    def __call__(self) -> datetime:
        return self.now if self.frozen else self.now + (datetime.now(timezone.utc) - self._real)

    def start(self) -> "FakeClock":
        self._real = datetime.now(timezone.utc)
        return self

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Hand:
    """A person at the locker: opens and shuts doors, puts things in and takes them out."""

    def __init__(self, factory: MockFactory) -> None:
        self.factory = factory

    def open(self, slot: str) -> None:
        self.factory.pin(PINS[slot][1]).drive_high()    # magnet away: reed switch opens

    def shut(self, slot: str) -> None:
        self.factory.pin(PINS[slot][1]).drive_low()

    def put(self, slot: str) -> None:
        self.factory.pin(PINS[slot][2]).drive_low()     # the item presses its switch

    def take(self, slot: str) -> None:
        self.factory.pin(PINS[slot][2]).drive_high()

    def pulses(self, slot: str) -> int:
        return sum(1 for change in self.factory.pin(PINS[slot][0]).states[1:] if change.state)


def locker_config(config: Config, **rules: object) -> Config:
    """The demo config with quick door rules for tests."""
    return replace(config, lockers=replace(config.lockers, kind="gpio",
                                           options={**config.lockers.options, **RULES, **rules}))


def make_station(config: Config, factory: MockFactory, *, clock=None, seed: bool = True,
                 stocked: tuple[str, ...] = ("U1", "U2"), start: bool = True) -> Station:
    """A station whose lockers are GpioLockerBank pins on `factory`; doors shut, umbrellas in U1 and U2."""
    if seed:
        conn = store.open_store(config.database_path)
        demo.seed(conn)
        outbox.forget(conn, 10**9)
        conn.close()
    hand = Hand(factory)
    bank = GpioLockerBank([(s, *PINS[s]) for s in PINS], pulse_s=0.01, pin_factory=factory)
    if seed:
        for slot in PINS:
            hand.shut(slot)
            (hand.put if slot in stocked else hand.take)(slot)
    from drivers.card_reader import SimCardReader
    from drivers.sim_printer import SimPrinter

    st = Station(config, printer=SimPrinter(), reader=SimCardReader(), lockers=bank, bus=Bus(),
                 clock=clock or FakeClock().start())
    if start:
        st.start()
    return st


def events(station: Station, *types: str) -> list[tuple[str, dict]]:
    """The outbox as the district would receive it (only the given types, when named)."""
    return [(e.type, e.data) for e in outbox.take(station.db(), limit=10_000) if not types or e.type in types]
