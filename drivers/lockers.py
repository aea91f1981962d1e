"""Locker doors on GPIO: a relay pulse opens a lock, a reed switch tells if the door is shut.

Wiring per slot: the lock relay on ``lock_pin``; the reed switch between
``door_pin`` and ground, with the pull-up on. Magnet near (door shut) closes
the switch, pulls the pin low, and gpiozero sees the input "active" (as a
Button would be "pressed"). A plain ``DigitalInputDevice`` is used rather
than ``Button``: Button's hold thread makes ``close()`` wait up to a second
per shut door, and we need no "held" event.
An optional item sensor per slot (``item_pin``: a micro-switch or IR
break-beam to ground, pull-up on) reads "active" while something lies in the
slot. Relay boards that switch on a low level take ``active_high=False``.
Pins come from the ``pin_factory`` passed in, never from a global, so tests
and the simulator use gpiozero's ``MockFactory``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Sequence

from gpiozero import DigitalInputDevice, DigitalOutputDevice

from drivers.errors import UnknownSlot

__all__ = ["DoorState", "GpioLockerBank", "SimLockerBank"]

log = logging.getLogger(__name__)


class DoorState(str, Enum):
    """What the reed switch says about a door."""

    OPEN = "open"
    CLOSED = "closed"


def _ignore(slot_id: str, state: object) -> None:
    """Default ``when_door`` / ``when_item``: do nothing."""


@dataclass
class _Slot:
    """The devices of one locker slot."""

    relay: DigitalOutputDevice
    door: DigitalInputDevice | None
    item: DigitalInputDevice | None = None


class GpioLockerBank:
    """A set of locker slots, each a lock relay and an optional door sensor."""

    def __init__(
        self,
        slots: Sequence[tuple[Any, ...]],
        *,
        pulse_s: float = 0.5,
        active_high: bool = True,
        pin_factory: Any = None,
    ) -> None:
        """Claim the pins of every ``(slot_id, lock_pin, door_pin[, item_pin])``; door and item pins may be None."""
        self.pulse_s = pulse_s
        self.when_door: Callable[[str, DoorState], None] = _ignore
        self.when_item: Callable[[str, bool], None] = _ignore
        self._slots: dict[str, _Slot] = {}
        try:
            for slot_id, lock_pin, door_pin, *rest in slots:
                if slot_id in self._slots:
                    raise ValueError(f"locker slot {slot_id!r} is configured twice")
                self._slots[slot_id] = self._make_slot(slot_id, lock_pin, door_pin, active_high, pin_factory)
                if rest and rest[0] is not None:
                    self._slots[slot_id].item = self._make_item(slot_id, rest[0], pin_factory)
        except Exception:
            self.close()
            raise

    def _make_slot(
        self, slot_id: str, lock_pin: int, door_pin: int | None, active_high: bool, pin_factory: Any
    ) -> _Slot:
        """Create the relay output and the reed-switch input of one slot."""
        relay = DigitalOutputDevice(lock_pin, active_high=active_high, initial_value=False, pin_factory=pin_factory)
        door = None
        if door_pin is not None:
            door = DigitalInputDevice(door_pin, pull_up=True, pin_factory=pin_factory)
            door.when_activated = self._reporter("when_door", slot_id, DoorState.CLOSED)
            door.when_deactivated = self._reporter("when_door", slot_id, DoorState.OPEN)
        return _Slot(relay, door)

    def _make_item(self, slot_id: str, item_pin: int, pin_factory: Any) -> DigitalInputDevice:
        """Create the item-present input of one slot (active = something in the slot)."""
        sensor = DigitalInputDevice(item_pin, pull_up=True, pin_factory=pin_factory)
        sensor.when_activated = self._reporter("when_item", slot_id, True)
        sensor.when_deactivated = self._reporter("when_item", slot_id, False)
        return sensor

    def item(self, slot_id: str) -> bool | None:
        """Whether something lies in the slot, or None when the slot has no item sensor."""
        sensor = self._slot(slot_id).item
        return None if sensor is None else bool(sensor.is_active)

    def _reporter(self, callback: str, slot_id: str, value: object) -> Callable[[], None]:
        """Make the gpiozero callback that tells ``when_door`` or ``when_item`` (looked up when it fires,
        as the station sets them after the bank is built) about one slot's change."""

        def report() -> None:
            try:
                getattr(self, callback)(slot_id, value)
            except Exception:  # runs in gpiozero's thread; keep it alive
                log.exception("%s callback failed for slot %s", callback, slot_id)

        return report

    def _slot(self, slot_id: str) -> _Slot:
        """Look a slot up, raising UnknownSlot with the known ids."""
        try:
            return self._slots[slot_id]
        except KeyError:
            raise UnknownSlot(f"unknown locker slot {slot_id!r}; known: {', '.join(self._slots)}") from None

    @property
    def slot_ids(self) -> list[str]:
        """The configured slot ids, in configuration order."""
        return list(self._slots)

    def unlock(self, slot_id: str) -> None:
        """Pulse the slot's lock relay for ``pulse_s`` seconds; returns at once."""
        self._slot(slot_id).relay.blink(on_time=self.pulse_s, off_time=0, n=1, background=True)

    def door(self, slot_id: str) -> DoorState | None:
        """Read the reed switch: OPEN or CLOSED, or None when the slot has no sensor."""
        sensor = self._slot(slot_id).door
        if sensor is None:
            return None
        return DoorState.CLOSED if sensor.is_active else DoorState.OPEN

    def close(self) -> None:
        """Switch the relays off and release every pin."""
        for slot in self._slots.values():
            slot.relay.close()
            for sensor in (slot.door, slot.item):
                if sensor is not None:
                    sensor.close()

    def __enter__(self) -> GpioLockerBank:
        """Use the bank in a ``with`` block that releases the pins."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the pins."""
        self.close()


class SimLockerBank(GpioLockerBank):
    """Lockers on gpiozero mock pins: doors start shut and spring open after an unlock."""

    def __init__(
        self,
        slots: Sequence[tuple[Any, ...]],
        *,
        pulse_s: float = 0.5,
        pop_s: float = 0.05,
        spring_loaded: bool = True,
        stocked: Sequence[str] = (),
    ) -> None:
        """Build the bank on its own MockFactory with every door closed; ``stocked`` slots hold an item."""
        from gpiozero.pins.mock import MockFactory

        self.factory = MockFactory()
        self.pop_s = pop_s
        self.spring_loaded = spring_loaded
        self._timers: list[threading.Timer] = []
        super().__init__(slots, pulse_s=pulse_s, active_high=True, pin_factory=self.factory)
        for slot in self._slots.values():
            if slot.door is not None:
                slot.door.pin.drive_low()
            slot.relay.pin.clear_states()
        for slot_id in stocked:
            self.sim_item(slot_id, True)

    def unlock(self, slot_id: str) -> None:
        """Fire the relay; a spring-loaded door then pops open after ``pop_s``."""
        super().unlock(slot_id)
        if self.spring_loaded and self._slot(slot_id).door is not None:
            timer = threading.Timer(self.pop_s, self._pop, args=(slot_id,))
            timer.daemon = True
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            timer.start()

    def _pop(self, slot_id: str) -> None:
        """Spring the door open unless the bank was closed meanwhile."""
        sensor = self._slot(slot_id).door
        if sensor is not None and not sensor.closed:
            sensor.pin.drive_high()

    def sim_open(self, slot_id: str) -> None:
        """Simulate the door opening (magnet away: reed switch opens, pin goes high)."""
        self._sensor_pin(slot_id).drive_high()

    def sim_close(self, slot_id: str) -> None:
        """Simulate the door being shut (magnet near: reed switch closes, pin goes low)."""
        self._sensor_pin(slot_id).drive_low()

    def sim_item(self, slot_id: str, present: bool) -> None:
        """Simulate putting something in the slot (present) or taking it out."""
        sensor = self._slot(slot_id).item
        if sensor is None:
            raise ValueError(f"locker slot {slot_id!r} has no item sensor to simulate")
        (sensor.pin.drive_low if present else sensor.pin.drive_high)()

    def _sensor_pin(self, slot_id: str) -> Any:
        """Return the mock pin of the slot's door sensor."""
        sensor = self._slot(slot_id).door
        if sensor is None:
            raise ValueError(f"locker slot {slot_id!r} has no door sensor to simulate")
        return sensor.pin

    def relay_pulses(self, slot_id: str) -> int:
        """Count how many times the slot's relay pin went active since start."""
        relay = self._slot(slot_id).relay
        return sum(1 for change in relay.pin.states[1:] if change.state)

    def close(self) -> None:
        """Cancel pending door pops, then release the pins."""
        for timer in getattr(self, "_timers", []):
            timer.cancel()
        super().close()
