"""USB keyboard-wedge card readers, read through Linux evdev.

Such a reader is a keyboard that types the card UID (decimal or hex digits)
and Enter. The reader thread opens ``/dev/input/...`` with python-evdev,
``grab()``s it so the keystrokes never reach the kiosk browser, turns key-down
events into UIDs with the pure :class:`KeyStream`, drops repeats of a held
card and reports each tap through ``when_card``. When the device vanishes it
reports OFFLINE and reopens the same path with back-off, like
:class:`drivers.card_reader.SerialCardReader`.

Key codes are the Linux ``input-event-codes.h`` numbers, so this module (and
its parser) imports without python-evdev; only opening a real device needs it.
"""

from __future__ import annotations

import logging
import select
from typing import Any, Callable, Iterable, Protocol

from drivers.card_frames import is_valid_uid, normalise_uid
from drivers.card_reader import ReaderState, ReaderThread
from drivers.errors import DeviceUnavailable

__all__ = ["EvdevCardReader", "KeyStream", "key_char", "ENTER", "MAX_UID_CHARS"]

log = logging.getLogger(__name__)

EV_KEY = 1  # evdev.ecodes.EV_KEY
KEY_DOWN = 1  # event.value: 0 is key-up, 2 is autorepeat
#: What key_char returns for KEY_ENTER and KEY_KPENTER.
ENTER = "\n"
#: Longest UID accepted (as drivers.card_frames.is_valid_uid).
MAX_UID_CHARS = 20
#: How long one select() waits, so ``stop()`` is noticed within this.
SELECT_TIMEOUT_S = 0.2
MISSING_EVDEV = "the evdev card reader needs the python evdev package: pip install evdev"

_KEY_CHARS: dict[int, str] = {
    # KEY_1..KEY_9 = 2..10, KEY_0 = 11
    **{code: str(digit) for digit, code in zip(range(1, 10), range(2, 11))},
    11: "0",
    # KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F
    30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F",
    # KEY_KP7 KP8 KP9 = 71-73, KP4 KP5 KP6 = 75-77, KP1 KP2 KP3 = 79-81, KP0 = 82
    71: "7", 72: "8", 73: "9", 75: "4", 76: "5", 77: "6", 79: "1", 80: "2", 81: "3", 82: "0",
    # KEY_ENTER, KEY_KPENTER
    28: ENTER, 96: ENTER,
}


class KeyEvent(Protocol):
    """What the parser needs of an ``evdev.InputEvent``."""

    type: int
    code: int
    value: int


def key_char(code: int) -> str | None:
    """The UID character a key code types (ENTER for both Enter keys), or None for any other key."""
    return _KEY_CHARS.get(code)


class KeyStream:
    """Collect key-down events into UIDs, one per Enter; a line with a wrong key is dropped whole."""

    def __init__(self) -> None:
        """Start with an empty line and zero counters."""
        self._chars: list[str] = []
        self._spoiled = False
        self.corrupt = 0

    def feed(self, events: Iterable[KeyEvent]) -> list[str]:
        """Add events as they arrive; return the valid UIDs completed by Enter, upper-case."""
        uids: list[str] = []
        for event in events:
            if event.type != EV_KEY or event.value != KEY_DOWN:
                continue  # key-ups, autorepeat, SYN and MSC_SCAN carry nothing new
            char = key_char(event.code)
            if char == ENTER:
                uid = self._end_line()
                if uid is not None:
                    uids.append(uid)
            elif char is None or len(self._chars) >= MAX_UID_CHARS:
                self._spoil()
            elif not self._spoiled:
                self._chars.append(char)
        return uids

    def _spoil(self) -> None:
        """Count the current line as corrupt once and ignore its keys until Enter."""
        if not self._spoiled:
            self.corrupt += 1
            self._spoiled = True
        self._chars.clear()

    def _end_line(self) -> str | None:
        """Finish the line at Enter: its UID, or None if it was empty, spoiled or not a UID."""
        text, spoiled = "".join(self._chars), self._spoiled
        self._chars.clear()
        self._spoiled = False
        if spoiled or not text:
            return None
        if not is_valid_uid(text):
            self.corrupt += 1
            return None
        return normalise_uid(text)


def _evdev_input_device() -> Callable[[str], Any]:
    """Return ``evdev.InputDevice``, or raise DeviceUnavailable saying how to install it."""
    try:
        import evdev
    except ImportError:
        raise DeviceUnavailable(MISSING_EVDEV) from None
    return evdev.InputDevice


class EvdevCardReader(ReaderThread):
    """Reads card taps from a keyboard-wedge reader's evdev device in a background thread."""

    def __init__(
        self,
        device: str,
        *,
        debounce_s: float = 2.0,
        device_factory: Callable[[str], Any] | None = None,
        retry_min_s: float = 0.5,
        retry_max_s: float = 10.0,
    ) -> None:
        """Configure the reader; nothing is opened until ``start()`` (default factory: evdev.InputDevice)."""
        super().__init__(device, stream_factory=KeyStream, debounce_s=debounce_s,
                         retry_min_s=retry_min_s, retry_max_s=retry_max_s)
        self._factory = device_factory if device_factory is not None else _evdev_input_device()

    def _session(self) -> bool:
        """Open and grab the device, then read it until it fails; False if it could not be opened."""
        device = None
        try:
            device = self._factory(self.device)
            device.grab()  # before any read: no keystroke may reach the browser
        except OSError as exc:  # missing, not an input device, or grabbed by another program
            if device is not None:
                _release(device, grabbed=False)
            self._set_state(ReaderState.OFFLINE, exc)
            return False
        self._read_device(device)
        return True

    def _read_device(self, device: Any) -> None:
        """Read key events until stopped or the device fails; always ungrab and close it."""
        self._fresh_stream()
        self._set_state(ReaderState.OK)
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([device], [], [], SELECT_TIMEOUT_S)
                if ready:
                    self._take(device)
        except (OSError, ValueError) as exc:  # ENODEV once unplugged; ValueError if the fd is gone
            self._set_state(ReaderState.OFFLINE, exc)
        finally:
            _release(device, grabbed=True)

    def _take(self, device: Any) -> None:
        """Read the waiting events and report each new tap."""
        try:
            events = list(device.read())
        except BlockingIOError:
            return  # woken, but the events were already taken
        for uid in self._stream.feed(events):
            if self._debouncer.accept(uid):
                self._call(self.when_card, uid)


def _release(device: Any, *, grabbed: bool) -> None:
    """Ungrab (if grabbed) and close a device, ignoring errors from one already gone."""
    steps = (device.ungrab, device.close) if grabbed else (device.close,)
    for step in steps:
        try:
            step()
        except OSError:
            pass
