"""Counter call buttons: next, recall and done at each counter, on GPIO pins or keys of a USB keypad.

GPIO buttons are gpiozero ``Button``s (pulled up, a press pulls the pin low), their pins from the
``pin_factory`` passed in (MockFactory in tests and the simulator). A keypad is read through evdev,
grabbed so its keys never reach the kiosk browser, key-down events only. Either way each press is
reported upward through ``when_press(counter, action)``; nothing of the station is imported here.
"""

from __future__ import annotations

import logging
import select
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)

ACTIONS = ("next", "recall", "done")
EV_KEY, KEY_DOWN = 1, 1
SELECT_TIMEOUT_S = 0.2


def _ignore(counter: str, action: str) -> None:
    """The default ``when_press``: nobody listens yet."""


class GpioCounterButtons:
    """Buttons on GPIO pins: ``pins`` maps (counter, action) → BCM pin."""

    def __init__(self, pins: dict[tuple[str, str], int], *, bounce_s: float = 0.05, pin_factory: Any = None) -> None:
        from gpiozero import Button

        self.when_press: Callable[[str, str], None] = _ignore
        self._buttons: dict[tuple[str, str], Any] = {}
        try:
            for (counter, action), pin in pins.items():
                button = Button(pin, pull_up=True, bounce_time=bounce_s or None, pin_factory=pin_factory)
                button.when_pressed = self._reporter(counter, action)
                self._buttons[(counter, action)] = button
        except Exception:
            self.close()
            raise

    def _reporter(self, counter: str, action: str) -> Callable[[], None]:
        def report() -> None:
            try:
                self.when_press(counter, action)
            except Exception:   # a button thread must survive whatever the station does with a press
                log.exception("counter %s %s: the press was not handled", counter, action)
        return report

    def close(self) -> None:
        for button in self._buttons.values():
            button.close()
        self._buttons.clear()


class SimCounterButtons(GpioCounterButtons):
    """The same buttons on their own MockFactory: the simulator panel presses them."""

    def __init__(self, pins: dict[tuple[str, str], int], *, bounce_s: float = 0.0) -> None:
        from gpiozero.pins.mock import MockFactory

        self.factory = MockFactory()
        self._pins = dict(pins)
        super().__init__(pins, bounce_s=bounce_s, pin_factory=self.factory)

    def has(self, counter: str, action: str) -> bool:
        return (counter, action) in self._pins

    def press(self, counter: str, action: str) -> None:
        """Press and release a button as a finger would (a shut contact pulls the pin low)."""
        pin = self.factory.pin(self._pins[(counter, action)])
        pin.drive_low()
        pin.drive_high()


class EvdevCounterKeypad:
    """A USB keypad read through evdev: ``keys`` maps a key code → (counter, action)."""

    def __init__(self, device: str, keys: dict[int, tuple[str, str]], *,
                 device_factory: Callable[[str], Any] | None = None, retry_s: float = 2.0) -> None:
        self.device, self._keys, self._retry_s = device, dict(keys), retry_s
        if device_factory is None:
            import evdev

            device_factory = evdev.InputDevice
        self._factory = device_factory
        self.when_press: Callable[[str, str], None] = _ignore
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"counter-keypad {device}", daemon=True)

    def start(self) -> "EvdevCounterKeypad":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handle = self._factory(self.device)
            except OSError as exc:
                log.warning("counter keypad %s: %s", self.device, exc)
                self._stop.wait(self._retry_s)
                continue
            try:
                handle.grab()                       # no key of the keypad reaches the browser
                self._read(handle)
            except OSError as exc:                  # unplugged: open it again when it is back
                log.warning("counter keypad %s: %s", self.device, exc)
            finally:
                for step in (handle.ungrab, handle.close):
                    try:
                        step()
                    except OSError:
                        pass
            self._stop.wait(self._retry_s)

    def _read(self, handle: Any) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([handle], [], [], SELECT_TIMEOUT_S)
            if not ready:
                continue
            try:
                events = list(handle.read())
            except BlockingIOError:
                continue
            for event in events:
                if event.type == EV_KEY and event.value == KEY_DOWN and event.code in self._keys:
                    counter, action = self._keys[event.code]
                    try:
                        self.when_press(counter, action)
                    except Exception:
                        log.exception("counter %s %s: the press was not handled", counter, action)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
