"""Counter call buttons: gpiozero Buttons on MockFactory pins and a USB keypad (a fake evdev device on a
pipe) call, recall and finish numbers through the station, as a press at the counter would."""

from __future__ import annotations

import os
import queue
from collections import deque

import pytest
from conftest import wait_until
from gpiozero.pins.mock import MockFactory

from drivers.counter_buttons import EvdevCounterKeypad, GpioCounterButtons
from kiosk.base import outbox
from kiosk.base.errors import ConfigError

PINS = {("1", "next"): 5, ("1", "recall"): 6, ("1", "done"): 13}


def press(factory: MockFactory, pin: int) -> None:
    """A finger on the button: the contact pulls the pin low, then lets go."""
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()


@pytest.fixture
def buttons(station):
    factory = MockFactory()
    bank = GpioCounterButtons(PINS, bounce_s=0, pin_factory=factory)
    bank.when_press = station.button_pressed
    yield factory
    bank.close()


def called(station) -> list[tuple[str, str, str]]:
    return [(e.type, e.data["number"], e.data["by"]) for e in outbox.take(station.db()) if e.type != "ticket.issued"]


def test_a_gpio_button_press_calls_the_next_number_recalls_it_and_finishes_it(station, buttons):
    station.take_ticket("consult")
    station.take_ticket("certify")
    with station.bus.subscribe() as display:
        press(buttons, 5)
        notice = display.get(5)
        while notice and notice.kind != "call":
            notice = display.get(5)
    assert notice.data["number"] == "A001" and notice.data["counter"] == "1"   # the wall display calls it
    press(buttons, 6)
    press(buttons, 13)
    assert wait_until(lambda: station.queue.at_counter(station.db(), "1") is None)
    assert called(station) == [("ticket.called", "A001", "button:1"), ("ticket.called", "A001", "button:1"),
                               ("ticket.done", "A001", "button:1")]
    press(buttons, 5)
    assert wait_until(lambda: station.queue.at_counter(station.db(), "1") is not None)
    assert station.queue.at_counter(station.db(), "1").number == "C001"


def test_a_press_that_can_do_nothing_changes_nothing(station, buttons):
    press(buttons, 13)                  # done with nothing at the counter
    press(buttons, 5)                   # next with nobody waiting
    assert outbox.depth(station.db()) == 0 and station.queue.at_counter(station.db(), "1") is None


class FakeKeypad:
    """Behaves like evdev.InputDevice for a keypad: a pipe as fileno, key events to read, grab/ungrab."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._events: deque = deque()
        self.grabbed = False

    def fileno(self) -> int:
        return self._r

    def key(self, code: int) -> None:
        from evdev.events import InputEvent

        self._events.extend([InputEvent(0, 0, 1, code, 1), InputEvent(0, 0, 1, code, 0)])   # down, up
        os.write(self._w, b"k")

    def read(self):
        try:
            os.read(self._r, 4096)
        except BlockingIOError:
            pass
        events = list(self._events)
        self._events.clear()
        if not events:
            raise BlockingIOError(11, "no events")
        yield from events

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


def test_a_usb_keypad_key_calls_the_next_number(station):
    ecodes = pytest.importorskip("evdev.ecodes")
    pad = FakeKeypad()
    presses: queue.Queue = queue.Queue()
    keypad = EvdevCounterKeypad("/dev/input/by-id/usb-keypad-event-kbd",
                                {ecodes.KEY_KP1: ("1", "next"), ecodes.KEY_KP3: ("1", "done")},
                                device_factory=lambda path: pad)
    keypad.when_press = lambda counter, action: (station.button_pressed(counter, action), presses.put(action))
    keypad.start()
    try:
        station.take_ticket("consult")
        assert wait_until(lambda: pad.grabbed)              # grabbed: its keys never reach the browser
        pad.key(ecodes.KEY_KP1)
        assert presses.get(timeout=5) == "next"
        assert station.queue.at_counter(station.db(), "1").number == "A001"
        pad.key(ecodes.KEY_A)                               # a key that is no button does nothing
        pad.key(ecodes.KEY_KP3)
        assert presses.get(timeout=5) == "done"
        assert station.queue.at_counter(station.db(), "1") is None
    finally:
        keypad.close()
    assert not pad.grabbed


def test_buttons_are_configured_and_validated_in_station_toml(config_path):
    from kiosk import config as cfg
    from kiosk import hardware

    text = config_path.read_text(encoding="utf-8")
    good = text + '\n[[counter_buttons]]\ncounter = "2"\nkind = "sim"\nnext = 7\nrecall = 8\ndone = 9\n'
    config_path.write_text(good, encoding="utf-8")
    config = cfg.load(config_path)
    sim = hardware.build_buttons(config)
    assert sim is not None
    sim.close()
    bad = text + '\n[[counter_buttons]]\ncounter = "9"\nkind = "gpio"\nnext = 17\n'
    config_path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        cfg.load(config_path)
    message = str(refused.value)
    assert 'counter_buttons[1].counter: found "9", expected one of the counters' in message
    assert "counter 9 next = 17 is a locker pin" in message


def test_the_demo_simulator_presses_counter_1s_next_button(tmp_path):
    import urllib.request

    from conftest import Demo

    demo = Demo(tmp_path / "demo")
    try:
        request = urllib.request.Request(demo.url + "/api/v1/tickets", data=b'{"service": "consult"}',
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        panel = opener.open(demo.url + "/sim/", timeout=10).read().decode()
        token = panel.split('name="csrf-token" content="')[1].split('"')[0]
        press = urllib.request.Request(demo.url + "/sim/button/1/next", method="POST", headers={"X-CSRFToken": token})
        assert "pressed counter 1 next" in opener.open(press, timeout=10).read().decode()
        board = urllib.request.urlopen(demo.url + "/api/v1/queue", timeout=10).read().decode()
        assert '"counter":"1"' in board.replace(" ", "") and "A001" in board
    finally:
        demo.stop()
