"""RS485 "8A" lock-control boards: pure frame functions, and a locker bank over pyserial.

Frames (docs/architecture.md, Facts that bite), built from their fields, never typed as hex:

* open one lock:   ``8A board channel 11 BCC``
* query one door:  ``80 board channel 33 BCC``
* query all doors: ``80 board 00 33 BCC``

``BCC`` is the XOR of the bytes before it. A board answers 0.5–1 s later, and
vendors differ in the reply's header and length, so replies are parsed by
length and their check byte verified:

* 5 bytes ``hdr board channel status BCC`` — one channel; status ``11`` (or any
  non-zero) means the door is open, ``00`` shut.
* 7 bytes ``hdr board m3 m2 m1 33 BCC`` — every channel of the board as a
  bitmask, channel 1 in bit 0 of ``m1`` up to channel 24 in bit 7 of ``m3``;
  a set bit means open.

An unlock is sent exactly once: a lost reply does not mean the lock did not
fire, and firing it twice could open a door a resident has just shut.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import reduce
from typing import Any, Callable, Sequence

from drivers.errors import DriverError, UnknownSlot
from drivers.lockers import DoorState

__all__ = ["bcc", "open_frame", "query_frame", "query_all_frame", "parse_reply", "BoardReply",
           "BoardError", "BoardSilent", "BadReply", "Rs485LockerBank"]

log = logging.getLogger(__name__)
OPEN_CMD, QUERY_CMD = 0x8A, 0x80
OPEN_ARG, QUERY_ARG = 0x11, 0x33


class BoardError(DriverError, OSError):
    """A lock board could not be asked or did not answer usefully."""


class BoardSilent(BoardError, TimeoutError):
    """The board sent nothing before the reply timeout."""


class BadReply(BoardError, ValueError):
    """The board's reply has a wrong length or a wrong check byte."""


def bcc(data: bytes) -> int:
    """The block check character: XOR of every byte."""
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(*fields: int) -> bytes:
    for value in fields:
        if not 0 <= value <= 0xFF:
            raise ValueError(f"frame field {value!r} is not a byte (0–255)")
    body = bytes(fields)
    return body + bytes([bcc(body)])


def open_frame(board: int, channel: int) -> bytes:
    """The frame that releases one lock."""
    if channel < 1:
        raise ValueError("channels are numbered from 1")
    return _frame(OPEN_CMD, board, channel, OPEN_ARG)


def query_frame(board: int, channel: int) -> bytes:
    """The frame that asks one channel's door state."""
    if channel < 1:
        raise ValueError("channels are numbered from 1")
    return _frame(QUERY_CMD, board, channel, QUERY_ARG)


def query_all_frame(board: int) -> bytes:
    """The frame that asks every channel of a board (channel 0)."""
    return _frame(QUERY_CMD, board, 0, QUERY_ARG)


@dataclass(frozen=True)
class BoardReply:
    """A checked reply: the board and each channel it reported, True for an open door."""

    board: int
    doors: dict[int, bool]


def parse_reply(data: bytes) -> BoardReply:
    """Parse a reply by its length and verify its check byte; raise BadReply otherwise."""
    if len(data) not in (5, 7):
        raise BadReply(f"reply of {len(data)} bytes ({data.hex(' ')}); expected 5 or 7")
    if bcc(data[:-1]) != data[-1]:
        raise BadReply(f"reply {data.hex(' ')} has check byte {data[-1]:02x}, expected {bcc(data[:-1]):02x}")
    if len(data) == 5:
        return BoardReply(data[1], {data[2]: data[3] != 0})
    mask = data[4] | data[3] << 8 | data[2] << 16
    return BoardReply(data[1], {ch: bool(mask >> (ch - 1) & 1) for ch in range(1, 25)})


def _ignore(*_: Any) -> None:
    """Default callback: do nothing."""


class Rs485LockerBank:
    """Locker slots on RS485 8A boards; one serial line, a poll thread watching the doors."""

    def __init__(self, device: str, slots: Sequence[tuple[str, int, int]], *, baudrate: int = 9600,
                 reply_timeout_s: float = 1.2, poll_s: float = 1.0, serial_factory: Any = None) -> None:
        """Open ``device`` for ``(slot_id, board, channel)`` slots and start watching the doors."""
        import serial

        self.when_door: Callable[[str, DoorState], None] = _ignore
        self.poll_s = poll_s
        self._slots: dict[str, tuple[int, int]] = {}
        for slot_id, board, channel in slots:
            if slot_id in self._slots:
                raise ValueError(f"locker slot {slot_id!r} is configured twice")
            self._slots[slot_id] = (board, channel)
        opener = serial_factory or serial.Serial
        # inter_byte_timeout ends a read at the gap after a reply, whatever its length.
        self._port = opener(device, baudrate=baudrate, timeout=reply_timeout_s, inter_byte_timeout=0.05)
        self._io = threading.Lock()
        self._doors: dict[str, DoorState | None] = {s: None for s in self._slots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lock-board", daemon=True)
        self._thread.start()

    @property
    def slot_ids(self) -> list[str]:
        """The configured slot ids, in configuration order."""
        return list(self._slots)

    def _where(self, slot_id: str) -> tuple[int, int]:
        try:
            return self._slots[slot_id]
        except KeyError:
            raise UnknownSlot(f"unknown locker slot {slot_id!r}; known: {', '.join(self._slots)}") from None

    def ask(self, frame: bytes) -> BoardReply:
        """Send one frame and parse the one reply; BoardSilent or BadReply when it is not good."""
        with self._io:
            self._port.reset_input_buffer()    # a late reply to an earlier frame is not this one's
            self._port.write(frame)
            self._port.flush()
            data = self._port.read(64)
        if not data:
            raise BoardSilent(f"lock board {frame[1]} did not answer {frame.hex(' ')}")
        return parse_reply(data)

    def unlock(self, slot_id: str) -> None:
        """Send the open frame once; raise BoardError when the board does not confirm (never retried)."""
        board, channel = self._where(slot_id)
        reply = self.ask(open_frame(board, channel))
        if reply.board != board:
            raise BadReply(f"board {reply.board} answered an open meant for board {board}")

    def query(self, slot_id: str) -> DoorState:
        """Ask the board about one door now."""
        board, channel = self._where(slot_id)
        reply = self.ask(query_frame(board, channel))
        if channel not in reply.doors:
            raise BadReply(f"board {board} did not report channel {channel}")
        return DoorState.OPEN if reply.doors[channel] else DoorState.CLOSED

    def query_all(self, board: int) -> dict[int, DoorState]:
        """Ask one board about every door."""
        reply = self.ask(query_all_frame(board))
        return {ch: DoorState.OPEN if is_open else DoorState.CLOSED for ch, is_open in reply.doors.items()}

    def door(self, slot_id: str) -> DoorState | None:
        """The door state last read by the poll thread; None while unknown (board silent)."""
        self._where(slot_id)
        return self._doors[slot_id]

    def item(self, slot_id: str) -> bool | None:
        """8A boards have no item sensor."""
        self._where(slot_id)
        return None

    def poll(self) -> None:
        """Read every board once and report each door that changed."""
        for board in sorted({b for b, _ in self._slots.values()}):
            try:
                states = self.query_all(board)
            except BoardError as exc:
                log.warning("lock board %s: %s", board, exc)
                states = {}
            for slot_id, (b, ch) in self._slots.items():
                if b != board:
                    continue
                new = states.get(ch)
                if new != self._doors[slot_id]:
                    self._doors[slot_id] = new
                    if new is not None:
                        try:
                            self.when_door(slot_id, new)
                        except Exception:
                            log.exception("when_door callback failed for slot %s", slot_id)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a vanished adapter: keep trying, the doors read unknown meanwhile
                log.exception("lock board poll failed")
                self._doors = {s: None for s in self._slots}
            self._stop.wait(self.poll_s)

    def close(self) -> None:
        """Stop polling and release the serial line."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        self._port.close()
