"""Card readers on a serial line (RDM6300 or one-UID-per-line), and their simulated twin.

The reader thread opens the port, turns bytes into UIDs with the pure parsers
of :mod:`drivers.card_frames`, drops repeats of a held card, and reports each
tap through ``when_card``. When the device vanishes or cannot be opened it
reports OFFLINE and reopens the same path with exponential back-off, so a
``/dev/serial/by-id/...`` link that comes back is picked up again.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum
from typing import Any, Callable

import serial

from drivers.card_frames import Debouncer, LineStream, Rdm6300Stream, normalise_uid
from drivers.reopen import run_with_backoff

__all__ = ["ReaderState", "ReaderThread", "SerialCardReader", "SimCardReader", "READER_KINDS"]

log = logging.getLogger(__name__)

READER_KINDS = {"rdm6300": Rdm6300Stream, "serial-line": LineStream}
#: Read timeout: how long ``stop()`` may wait for the thread to notice.
READ_TIMEOUT_S = 0.2


class ReaderState(str, Enum):
    """Whether the reader's device is open and readable."""

    OK = "ok"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


def _ignore(*args: object) -> None:
    """Default callback: do nothing."""


class ReaderThread:
    """What every card reader shares: a daemon thread that opens the device, reads it until it
    fails and opens it again with back-off; the state it reports; damaged input counted.

    Subclasses provide ``_session()`` (open, read until failure; False if it could not be opened)
    and a ``stream_factory`` whose streams turn raw input into UIDs and count what they drop.
    """

    def __init__(self, device: str, *, stream_factory: Callable[[], Any], debounce_s: float,
                 retry_min_s: float, retry_max_s: float) -> None:
        self.device = device
        self.when_card: Callable[[str], None] = _ignore
        self.when_state: Callable[[ReaderState], None] = _ignore
        self.state = ReaderState.UNKNOWN
        self.last_error: str | None = None
        self._debouncer = Debouncer(debounce_s)
        self._retry = (retry_min_s, retry_max_s)
        self._stream_factory = stream_factory
        self._corrupt_before = 0
        self._stream = stream_factory()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def corrupt_frames(self) -> int:
        """Damaged frames, lines or key sequences seen since start (they were dropped)."""
        return self._corrupt_before + self._stream.corrupt

    def _fresh_stream(self) -> None:
        """A new parser for a new session: half a UID from before is dropped, the count is kept."""
        self._corrupt_before += self._stream.corrupt
        self._stream = self._stream_factory()

    def start(self) -> None:
        """Start the reader thread (a daemon); calling it twice is harmless."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"card-reader {self.device}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the device; returns within about a second."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _set_state(self, state: ReaderState, error: BaseException | None = None) -> None:
        """Record a state change and report it (only when it changes)."""
        if error is not None:
            self.last_error = f"{type(error).__name__}: {error}"
        if state is self.state:
            return
        self.state = state
        log.info("card reader %s is %s%s", self.device, state.value, f" ({self.last_error})" if error else "")
        self._call(self.when_state, state)

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        """Call a user callback; a bug in it must not kill the reader thread."""
        try:
            callback(*args)
        except Exception:
            log.exception("card reader callback failed")

    def _run(self) -> None:
        """Open, read until the device fails, back off, repeat until stopped."""
        run_with_backoff(self._stop, self._session, *self._retry)

    def _session(self) -> bool:
        raise NotImplementedError


class SerialCardReader(ReaderThread):
    """Reads card taps from a serial device in a background thread."""

    def __init__(
        self,
        device: str,
        *,
        kind: str = "rdm6300",
        baudrate: int = 9600,
        debounce_s: float = 2.0,
        serial_factory: Callable[..., Any] = serial.Serial,
        retry_min_s: float = 0.5,
        retry_max_s: float = 10.0,
    ) -> None:
        """Configure the reader; nothing is opened until ``start()``."""
        if kind not in READER_KINDS:
            raise ValueError(f"unknown card reader kind {kind!r}; expected one of {', '.join(READER_KINDS)}")
        super().__init__(device, stream_factory=READER_KINDS[kind], debounce_s=debounce_s,
                         retry_min_s=retry_min_s, retry_max_s=retry_max_s)
        self.kind = kind
        self.baudrate = baudrate
        self._factory = serial_factory

    def _session(self) -> bool:
        """Open the port and read it until it fails; False if it could not be opened."""
        try:
            port = self._factory(self.device, baudrate=self.baudrate, timeout=READ_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._set_state(ReaderState.OFFLINE, exc)
            return False
        self._read_port(port)
        return True

    def _read_port(self, port: Any) -> None:
        """Read from an open port until stopped or the device fails; always close it."""
        self._fresh_stream()
        self._set_state(ReaderState.OK)
        try:
            while not self._stop.is_set():
                chunk = port.read(max(1, port.in_waiting))
                for uid in self._stream.feed(chunk) if chunk else ():
                    if self._debouncer.accept(uid):
                        self._call(self.when_card, uid)
        except (serial.SerialException, OSError) as exc:
            self._set_state(ReaderState.OFFLINE, exc)
        finally:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass


class SimCardReader:
    """A card reader the simulator panel or a test taps by hand."""

    def __init__(self) -> None:
        """Create a reader that is always OK and never sees damaged frames."""
        self.when_card: Callable[[str], None] = _ignore
        self.when_state: Callable[[ReaderState], None] = _ignore
        self.state = ReaderState.OK
        self.corrupt_frames = 0
        self.last_error: str | None = None

    def start(self) -> None:
        """Nothing to start."""

    def stop(self, timeout: float = 2.0) -> None:
        """Nothing to stop."""

    def tap(self, uid: str) -> None:
        """Report a card tap now, in the caller's thread (no de-duplication)."""
        self.when_card(normalise_uid(uid))
