"""Card reader protocols as pure functions on bytes, tested without a device.

RDM6300 (125 kHz EM4100), 9600 8N1, 14-byte frames::

    02 | 10 ASCII-hex: version byte + 4 tag bytes | 2 ASCII-hex: XOR of those 5 | 03

It repeats the frame while a card is held. A misread card (EM4100's row
parity lets some errors through, and damage on the line can cancel out in
the one-byte XOR) comes as a well-formed frame of a UID nobody holds; so a
UID counts only once a second identical valid frame arrives within
``REPEAT_WINDOW_S``, which a held card always sends and a misread practically
never repeats. Readers then de-duplicate the held
card with :class:`Debouncer`. "serial-line" readers send one UID per CR/LF line.
"""

from __future__ import annotations

import re
import time
from typing import Callable

from drivers.errors import FrameError

__all__ = [
    "rdm6300_uid",
    "rdm6300_frame",
    "Rdm6300Stream",
    "LineStream",
    "Debouncer",
    "is_valid_uid",
    "normalise_uid",
]

STX, ETX = 0x02, 0x03
RDM6300_FRAME_LEN = 14
_HEX10 = re.compile(rb"[0-9A-Fa-f]{10}")
_HEX2 = re.compile(rb"[0-9A-Fa-f]{2}")
_UID = re.compile(r"[0-9A-Fa-f]{4,20}")
#: A line longer than this without a newline is noise, not a UID.
MAX_LINE = 64
#: An RDM6300 UID counts when the same valid frame came again within this many seconds
#: (a held card repeats its frame many times a second).
REPEAT_WINDOW_S = 1.0


def _xor(data: bytes) -> int:
    """XOR all bytes together."""
    result = 0
    for byte in data:
        result ^= byte
    return result


def rdm6300_uid(frame: bytes) -> str:
    """Check one RDM6300 frame and return its 10 hex digits, upper-case."""
    if len(frame) != RDM6300_FRAME_LEN:
        raise FrameError(f"RDM6300 frame must be {RDM6300_FRAME_LEN} bytes, got {len(frame)}: {frame!r}")
    if frame[0] != STX or frame[-1] != ETX:
        raise FrameError(f"RDM6300 frame must start with 02 and end with 03, got {frame[0]:02X}…{frame[-1]:02X}")
    body, check = frame[1:11], frame[11:13]
    if not _HEX10.fullmatch(body) or not _HEX2.fullmatch(check):
        raise FrameError(f"RDM6300 frame has non-hex characters: {frame[1:13]!r}")
    expected = _xor(bytes.fromhex(body.decode("ascii")))
    got = int(check, 16)
    if expected != got:
        raise FrameError(f"RDM6300 checksum mismatch: expected {expected:02X}, got {got:02X}")
    return body.decode("ascii").upper()


def rdm6300_frame(uid: str) -> bytes:
    """Build a valid RDM6300 frame for a 10-hex-digit UID (for simulators and tests)."""
    if not _HEX10.fullmatch(uid.encode("ascii", errors="replace")):
        raise FrameError(f"RDM6300 UID must be 10 hex digits, got {uid!r}")
    body = uid.upper().encode("ascii")
    check = f"{_xor(bytes.fromhex(uid)):02X}".encode("ascii")
    return bytes([STX]) + body + check + bytes([ETX])


def is_valid_uid(uid: str) -> bool:
    """Tell whether ``uid`` looks like a card number: 4-20 hex or decimal digits."""
    return _UID.fullmatch(uid) is not None


def normalise_uid(uid: str) -> str:
    """Strip and upper-case a UID, raising FrameError if it is not 4-20 hex digits."""
    uid = uid.strip()
    if not is_valid_uid(uid):
        raise FrameError(f"card UID must be 4-20 hex or decimal digits, got {uid!r}")
    return uid.upper()


class Rdm6300Stream:
    """Cut a byte stream into RDM6300 frames, resynchronising on 02 after any damage.

    `feed` returns a UID only for a valid frame that repeats one seen within
    ``confirm_window_s`` (see the module's note); ``clock`` is in seconds.
    """

    def __init__(self, *, confirm_window_s: float = REPEAT_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start with an empty buffer and zero counters."""
        self._buffer = bytearray()
        self.corrupt = 0
        self.skipped_bytes = 0
        self.unconfirmed = 0          # valid frames not (yet) repeated: their UID did not count
        self._sightings = Debouncer(confirm_window_s, clock)   # "new" = not seen within the window

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes as they arrive; return the UIDs of the good frames completed that confirm one before."""
        uids = []
        for uid in self.frames(chunk):
            if self._sightings.accept(uid):       # a first sighting: wait for the frame to come again
                self.unconfirmed += 1
            else:
                uids.append(uid)
        return uids

    def frames(self, chunk: bytes) -> list[str]:
        """Add bytes as they arrive; return the UID of every valid frame completed, confirmed or not."""
        self._buffer += chunk
        uids: list[str] = []
        while True:
            start = self._buffer.find(STX)
            if start < 0:
                self.skipped_bytes += len(self._buffer)
                self._buffer.clear()
                return uids
            if start:
                self.skipped_bytes += start
                del self._buffer[:start]
            if len(self._buffer) < RDM6300_FRAME_LEN:
                return uids
            try:
                uids.append(rdm6300_uid(bytes(self._buffer[:RDM6300_FRAME_LEN])))
            except FrameError:
                self.corrupt += 1
                del self._buffer[:1]  # look for the next 02, which may be inside this window
                continue
            del self._buffer[:RDM6300_FRAME_LEN]


class LineStream:
    """Cut a byte stream into CR/LF-terminated lines, each holding one UID."""

    def __init__(self) -> None:
        """Start with an empty buffer and zero counters."""
        self._buffer = bytearray()
        self.corrupt = 0

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes as they arrive; return the valid UIDs of completed lines, upper-case."""
        self._buffer += chunk
        uids: list[str] = []
        *lines, rest = re.split(rb"[\r\n]", bytes(self._buffer))
        self._buffer = bytearray(rest)
        if len(self._buffer) > MAX_LINE:
            self.corrupt += 1
            self._buffer.clear()
        for raw in lines:
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            if is_valid_uid(line):
                uids.append(line.upper())
            else:
                self.corrupt += 1
        return uids


class Debouncer:
    """Accept a UID again only after it has been absent for ``window_s``.

    RDM6300 repeats frames for as long as a card is held, so a card held
    still counts once; it counts again only after being taken away.
    """

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        """Use ``clock`` (seconds) to measure absence; tests pass a fake clock."""
        self.window_s = window_s
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def accept(self, uid: str) -> bool:
        """Record a sighting of ``uid``; True if it is a new tap."""
        now = self._clock()
        last = self._last_seen.get(uid)
        self._last_seen[uid] = now
        if len(self._last_seen) > 256:
            self._forget_before(now - self.window_s)
        return last is None or now - last >= self.window_s

    def _forget_before(self, cutoff: float) -> None:
        """Drop UIDs not seen since ``cutoff`` so memory stays small."""
        self._last_seen = {uid: seen for uid, seen in self._last_seen.items() if seen >= cutoff}
