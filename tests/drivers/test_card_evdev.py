"""Keyboard-wedge card reader: the key parser on InputEvents, the thread against a fake evdev device."""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator

import pytest
from conftest import wait_until

ecodes = pytest.importorskip("evdev.ecodes")
from evdev.events import InputEvent  # noqa: E402

from drivers.card_evdev import ENTER, EvdevCardReader, KeyStream, key_char  # noqa: E402
from drivers.card_reader import ReaderState  # noqa: E402
from drivers.errors import DeviceUnavailable  # noqa: E402

CARD, OTHER = "0A1B2C3D", "0012345678"
NAMES = {"-": "MINUS", " ": "SPACE", "+": "LEFTSHIFT"}
PATH = "/dev/input/by-id/usb-RFID_Reader-event-kbd"
UP, DOWN, REPEAT = 0, 1, 2


def key(name: str, value: int = DOWN) -> InputEvent:
    """One EV_KEY event for ``KEY_<name>``."""
    return InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[f"KEY_{name}"], value)


def stroke(name: str) -> list[InputEvent]:
    """What a real keyboard sends for one key: scan code, down, SYN, up, SYN."""
    syn = InputEvent(0, 0, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)
    scan = InputEvent(0, 0, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x7001E)
    return [scan, key(name, DOWN), syn, scan, key(name, UP), syn]


def typed(text: str, enter: str = "ENTER") -> list[InputEvent]:
    """The events a wedge reader sends when it types ``text`` and Enter (``+`` is Shift)."""
    return [event for char in text for event in stroke(NAMES.get(char, char.upper()))] + stroke(enter)


# --- the pure parser ---------------------------------------------------------
@pytest.mark.parametrize("name, char", [(f"KEY_{c}", c) for c in "0123456789ABCDEF"]
                         + [(f"KEY_KP{d}", str(d)) for d in range(10)]
                         + [("KEY_ENTER", ENTER), ("KEY_KPENTER", ENTER)]
                         + [(f"KEY_{n}", None) for n in ("G", "Z", "LEFTSHIFT", "SPACE", "TAB", "NUMLOCK", "ESC")])
def test_key_char_matches_evdev_codes(name: str, char: str | None) -> None:
    assert key_char(ecodes.ecodes[name]) == char


def test_a_typed_uid_and_enter_is_one_uid_upper_case_also_on_the_keypad() -> None:
    stream = KeyStream()
    assert stream.feed(typed("0a1b2c3d")) == [CARD]
    assert stream.feed([e for d in OTHER for e in stroke(f"KP{d}")] + stroke("KPENTER")) == [OTHER]
    events = typed(CARD)
    assert stream.feed(events[:7]) == stream.feed(events[7:30]) == []  # a UID split across reads
    assert stream.feed(events[30:]) == [CARD]
    assert stream.feed(typed(CARD) + typed(OTHER)) == [CARD, OTHER]
    assert stream.corrupt == 0


def test_key_ups_and_autorepeat_type_nothing() -> None:
    events = [key("1"), key("1", REPEAT), key("1", REPEAT), key("1", UP), key("LEFTSHIFT", UP)]
    events += [key("2"), key("3"), key("4", REPEAT), key("4"), key("ENTER", REPEAT), key("ENTER")]
    stream = KeyStream()
    assert stream.feed(events) == ["1234"]
    assert stream.corrupt == 0


@pytest.mark.parametrize("text", ["+0A1B+2C3D", "0A1B+2C3D", "0A1B-2C3D", "0A1BG2C3D", "0A1B 2C3D"])
def test_shift_or_another_key_drops_the_whole_line_once(text: str) -> None:
    stream = KeyStream()
    assert (stream.feed(typed(text)), stream.corrupt) == ([], 1)  # not "2C3D": a damaged line's tail is no UID
    assert (stream.feed(typed(OTHER)), stream.corrupt) == ([OTHER], 1)


def test_twenty_characters_are_a_uid_twenty_one_or_three_are_not_and_a_bare_enter_is_nothing() -> None:
    stream = KeyStream()
    assert stream.feed(typed("1" * 20)) == ["1" * 20]
    assert stream.feed(typed("ABCDEF" + "1" * 19)) == []  # its last 4 digits alone must not pass
    assert stream.feed(typed("123") + stroke("ENTER") + stroke("KPENTER")) == []
    assert stream.corrupt == 2
    assert stream.feed(typed(CARD)) == [CARD]


# --- the reader thread against a fake device ----------------------------------
class FakeWedge:
    """Behaves like ``evdev.InputDevice`` for a wedge reader: a pipe as fileno, non-blocking read()."""

    def __init__(self, *, busy: bool = False) -> None:
        self.busy = busy  # another program holds a grab
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._events: deque[InputEvent] = deque()
        self.history: list[str] = []  # grab / read / ungrab / close, in order
        self.grabbed = self.gone = self.closed = False
        self.leaked: list[InputEvent] = []  # keys the focused window (the browser) received

    def fileno(self) -> int:
        return self._wake_r

    def type(self, text: str, enter: str = "ENTER") -> None:
        """The reader types ``text`` and Enter; without a grab the browser gets the keys too."""
        events = typed(text, enter)
        if not self.grabbed:
            self.leaked.extend(events)
        self._events.extend(events)
        os.write(self._wake_w, b"k")

    def read(self) -> Iterator[InputEvent]:
        """Like evdev 2: a generator whose first step reads, raising ENODEV or EAGAIN."""
        self._step("read")
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)
        events = [self._events.popleft() for _ in range(len(self._events))]
        if not events:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        yield from events

    def grab(self) -> None:
        self._step("grab")
        if self.busy:
            raise OSError(16, "Device or resource busy")
        self.grabbed = True

    def ungrab(self) -> None:
        self._step("ungrab")
        self.grabbed = False

    def close(self) -> None:
        self.history.append("close")
        if not self.closed:
            self.closed = True
            os.close(self._wake_r)
            os.close(self._wake_w)

    def unplug(self) -> None:
        """The USB reader is pulled: select() wakes and every call fails with ENODEV."""
        self.gone = True
        os.write(self._wake_w, b"x")

    def _step(self, name: str) -> None:
        self.history.append(name)
        if self.gone:
            raise OSError(19, "No such device")


class Watched:
    """A reader started on a fake /dev/input, its callbacks wired to a queue and events."""

    def __init__(self) -> None:
        self.plugged: dict[str, FakeWedge] = {}  # the /dev/input paths that exist now
        self.reader = EvdevCardReader(PATH, device_factory=self.open, retry_min_s=0.02, retry_max_s=0.1)
        self.cards: queue.Queue[str] = queue.Queue()
        self.states: dict[ReaderState, threading.Event] = {state: threading.Event() for state in ReaderState}
        self.reader.when_card = self.cards.put
        self.reader.when_state = lambda state: self.states[state].set()

    def plug(self, **kwargs: bool) -> FakeWedge:
        self.plugged[PATH] = FakeWedge(**kwargs)
        return self.plugged[PATH]

    def open(self, path: str) -> FakeWedge:
        """The device_factory: open a plugged device like evdev.InputDevice(path)."""
        device = self.plugged.get(path)
        if device is None or device.gone:
            raise FileNotFoundError(2, "No such file or directory", path)
        return device

    def wait_state(self, state: ReaderState) -> bool:
        ok = self.states[state].wait(5)
        self.states[state].clear()
        return ok

    def next_card(self) -> str:
        return self.cards.get(timeout=5)


@pytest.fixture
def watched() -> Iterator[Watched]:
    w = Watched()
    yield w
    w.reader.stop()


@pytest.fixture
def wedge(watched: Watched) -> FakeWedge:
    device = watched.plug()
    watched.reader.start()
    assert watched.wait_state(ReaderState.OK)
    return device


def test_a_held_card_is_one_tap_and_a_damaged_line_is_counted(wedge: FakeWedge, watched: Watched) -> None:
    for _ in range(4):
        wedge.type(CARD)
    wedge.type("0A1B-2C3D")
    wedge.type(OTHER, enter="KPENTER")  # once this arrives, every repeat was read
    assert [watched.next_card(), watched.next_card()] == [CARD, OTHER]
    assert watched.cards.empty() and watched.reader.corrupt_frames == 1


def test_a_tap_reaches_when_card_once_not_the_browser_and_stop_ungrabs(wedge: FakeWedge, watched: Watched) -> None:
    wedge.type("0a1b2c3d")
    assert watched.next_card() == CARD
    time.sleep(0.1)
    assert watched.cards.empty() and wedge.leaked == []
    assert (watched.reader.state, watched.reader.corrupt_frames) == (ReaderState.OK, 0)
    started = time.monotonic()
    watched.reader.stop()
    assert time.monotonic() - started < 1.0
    assert wedge.history[0] == "grab" and "read" in wedge.history
    assert wedge.history[-2:] == ["ungrab", "close"] and not wedge.grabbed
    assert not [t for t in threading.enumerate() if t.name == f"card-reader {PATH}"]


def test_unplug_goes_offline_and_replug_reads_again(wedge: FakeWedge, watched: Watched) -> None:
    wedge.unplug()
    assert watched.wait_state(ReaderState.OFFLINE)
    assert "No such device" in (watched.reader.last_error or "") and wedge.closed
    second = watched.plug()
    assert watched.wait_state(ReaderState.OK)
    second.type(CARD)
    assert watched.next_card() == CARD
    assert second.grabbed and second.history[0] == "grab"


def test_missing_or_busy_device_is_offline_until_it_can_be_grabbed(watched: Watched) -> None:
    watched.reader.start()
    assert watched.wait_state(ReaderState.OFFLINE)
    assert "FileNotFoundError" in (watched.reader.last_error or "")
    busy = watched.plug(busy=True)  # another program holds a grab on it
    assert wait_until(lambda: "Device or resource busy" in (watched.reader.last_error or ""))
    assert busy.closed and "read" not in busy.history and watched.reader.state is ReaderState.OFFLINE
    freed = watched.plug()
    assert watched.wait_state(ReaderState.OK)
    freed.type(OTHER)
    assert watched.next_card() == OTHER


def test_without_python_evdev_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)
    with pytest.raises(DeviceUnavailable, match="needs the python evdev package: pip install evdev"):
        EvdevCardReader(PATH)
