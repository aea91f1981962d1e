"""Locker relays and door sensors on gpiozero mock pins, each test with its own MockFactory."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest
from conftest import wait_until
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from drivers.errors import UnknownSlot
from drivers.lockers import DoorState, GpioLockerBank, SimLockerBank

SLOTS = [("U1", 17, 27), ("C1", 22, None)]



@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


@pytest.fixture
def bank(factory: MockFactory) -> Iterator[GpioLockerBank]:
    with GpioLockerBank(SLOTS, pulse_s=0.02, pin_factory=factory) as lockers:
        yield lockers


def levels(pin) -> list[bool]:
    return [change.state for change in pin.states]


def test_unlock_pulses_the_relay_once(factory: MockFactory, bank: GpioLockerBank) -> None:
    relay = factory.pin(17)
    assert relay.state is False
    bank.unlock("U1")
    assert wait_until(lambda: levels(relay)[-2:] == [True, False])
    assert levels(relay) == [False, True, False]
    assert levels(factory.pin(22)) == [False]  # the other slot's relay never moved


def test_active_low_relay_idles_high_and_pulses_low(factory: MockFactory) -> None:
    with GpioLockerBank([("U1", 17, 27)], pulse_s=0.02, active_high=False, pin_factory=factory) as lockers:
        relay = factory.pin(17)
        assert relay.state is True
        relay.clear_states()
        lockers.unlock("U1")
        assert wait_until(lambda: levels(relay) == [True, False, True])


def test_door_changes_reach_when_door(factory: MockFactory, bank: GpioLockerBank) -> None:
    changes: queue.Queue[tuple[str, DoorState]] = queue.Queue()
    bank.when_door = lambda slot, state: changes.put((slot, state))
    reed = factory.pin(27)
    reed.drive_low()  # magnet near: door shut
    assert changes.get(timeout=2) == ("U1", DoorState.CLOSED)
    assert bank.door("U1") is DoorState.CLOSED
    reed.drive_high()
    assert changes.get(timeout=2) == ("U1", DoorState.OPEN)
    assert bank.door("U1") is DoorState.OPEN


def test_a_slot_without_sensor_reports_none(bank: GpioLockerBank) -> None:
    assert bank.slot_ids == ["U1", "C1"]
    assert bank.door("C1") is None


def test_unknown_slot_is_named(bank: GpioLockerBank) -> None:
    with pytest.raises(UnknownSlot, match="'X9'.*U1, C1"):
        bank.unlock("X9")
    with pytest.raises(KeyError):
        bank.door("X9")


def test_duplicate_slots_are_refused_and_pins_released(factory: MockFactory) -> None:
    with pytest.raises(ValueError, match="'U1'"):
        GpioLockerBank([("U1", 17, 27), ("U1", 22, 23)], pin_factory=factory)
    GpioLockerBank([("U1", 17, 27)], pin_factory=factory).close()  # pins are free again


def test_close_releases_pins(factory: MockFactory) -> None:
    GpioLockerBank(SLOTS, pin_factory=factory).close()
    GpioLockerBank(SLOTS, pin_factory=factory).close()


def test_sim_doors_start_closed_and_spring_open_after_unlock() -> None:
    opened = threading.Event()
    with SimLockerBank(SLOTS, pulse_s=0.02, pop_s=0.01) as lockers:
        assert lockers.door("U1") is DoorState.CLOSED
        lockers.when_door = lambda slot, state: state is DoorState.OPEN and opened.set()
        lockers.unlock("U1")
        assert opened.wait(2)
        assert lockers.door("U1") is DoorState.OPEN
        assert wait_until(lambda: lockers.relay_pulses("U1") == 1)
        lockers.sim_close("U1")
        assert lockers.door("U1") is DoorState.CLOSED
        assert lockers.relay_pulses("C1") == 0


def test_sim_door_without_spring_stays_shut() -> None:
    with SimLockerBank(SLOTS, pulse_s=0.02, spring_loaded=False) as lockers:
        lockers.unlock("U1")
        lockers.unlock("C1")
        assert wait_until(lambda: lockers.relay_pulses("U1") == lockers.relay_pulses("C1") == 1)
        assert lockers.door("U1") is DoorState.CLOSED
        lockers.sim_open("U1")
        assert lockers.door("U1") is DoorState.OPEN
        with pytest.raises(ValueError, match="no door sensor"):
            lockers.sim_open("C1")


def test_the_global_pin_factory_is_never_set() -> None:
    before = Device.pin_factory
    with SimLockerBank(SLOTS):
        pass
    with GpioLockerBank(SLOTS, pin_factory=MockFactory()):
        pass
    assert Device.pin_factory is before
