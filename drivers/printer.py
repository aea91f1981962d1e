"""ESC/POS receipt printer over python-escpos.

A slip is built in memory as a :class:`PrintJob` and sent to the printer in
one write, so our side never leaves half a slip. Chinese is sent in the
printer's Chinese mode (``FS &`` + GB18030 + ``FS .``) rather than through
python-escpos ``text()``, which garbles full-width punctuation; what the
printer's font cannot show is printed as an image.

Around each slip the printer is asked how it is (drivers/printer_status.py):
``DLE EOT`` before (no paper or offline: nothing is sent), ``GS r`` after
(answered once the slip was printed; paper gone meanwhile: the slip failed).
"""

from __future__ import annotations

import errno
import threading
import time
from typing import Any, Callable

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError

from drivers import raster
from drivers.errors import PaperOut, PrinterOffline
from drivers.print_job import TEXT_MODES, Capabilities, PrintJob, profile_capabilities
from drivers.printer_file import AppendFile
from drivers.printer_status import (
    ONLINE_QUERY,
    PAPER_QUERY,
    PROCESSED_QUERY,
    PrinterState,
    parse_online_status,
    parse_paper_status,
    parse_processed_status,
    wire_seconds,
)
from drivers.printer_transports import ask, baudrate_of, can_ask, make_device

__all__ = [
    "PrinterState",
    "Capabilities",
    "EscposPrinter",
    "PrintJob",
    "open_printer",
    "profile_capabilities",
    "parse_paper_status",
    "parse_online_status",
    "AppendFile",
]

#: Seconds a printer may take to print a slip once its bytes arrived, before ``GS r`` counts as unanswered.
PRINT_SECONDS = 5.0
#: Seconds to wait for the answer to a real-time ``DLE EOT`` query.
QUERY_SECONDS = 1.0


def _is_timeout(exc: BaseException) -> bool:
    """Tell whether an I/O error only means the device did not answer in time."""
    return isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT


class EscposPrinter:
    """A receipt printer behind any python-escpos transport (Usb, Serial, Network, Dummy, file)."""

    def __init__(
        self,
        device: Escpos,
        *,
        text_mode: str = "gb18030",
        width_px: int = 576,
        cutter: bool = True,
        native_qr: bool = True,
        fonts: raster.FontSet | None = None,
    ) -> None:
        """Wrap ``device``; text_mode is ``gb18030`` (printer's Chinese font) or ``raster``."""
        if text_mode not in TEXT_MODES:
            raise ValueError(f"text_mode must be one of {TEXT_MODES}, not {text_mode!r}")
        self.device = device
        self.text_mode = text_mode
        self.width_px = width_px
        self.cutter = cutter
        self.native_qr = native_qr
        self.fonts = fonts or raster.find_fonts()
        self._lock = threading.RLock()
        # Only transports that can read back (USB, serial, network) can report status.
        self._can_query = can_ask(device)
        self._answers: bool | None = None              # does it answer DLE EOT at all?
        self._processed_answers: bool | None = None    # and GS r?
        self.last_state = PrinterState.OK if not self._can_query else PrinterState.UNKNOWN
        self.last_checked: float | None = None   # time.time() of the last answer (or silence)

    @property
    def capabilities(self) -> Capabilities:
        """Paper width, cutter and native QR, as this printer was built with."""
        return Capabilities(self.width_px, self.cutter, self.native_qr)

    def job(self, send: Callable[[bytes], Any] | None = None) -> PrintJob:
        """Start a slip; when the ``with`` block ends without an error its bytes go to ``send``.

        ``send`` defaults to this printer's :meth:`send`; a spooler passes its own to store them.
        """
        return PrintJob(self.capabilities, send or self.send, profile=self.device.profile,
                        text_mode=self.text_mode, fonts=self.fonts)

    def send(self, data: bytes) -> PrinterState:
        """Write a finished slip in one write and return what the printer said after printing it.

        Raises PaperOut or PrinterOffline, sending nothing, when the printer says so before;
        PaperOut when the paper ran out during the slip; PrinterOffline when the write fails.
        UNKNOWN (the printer never answers) is not a failure: the slip was sent.
        """
        with self._lock:
            before = self._state_before_job()
            if before is PrinterState.PAPER_OUT:
                raise PaperOut("the printer reports no paper; the slip was not sent")
            if before is PrinterState.OFFLINE:
                raise PrinterOffline("the printer reports it is offline (cover open or an error); "
                                     "the slip was not sent")
            try:
                self.device._raw(data)
            except (OSError, DeviceNotFoundError) as exc:
                self._reset_device()
                self._note(PrinterState.OFFLINE)
                raise PrinterOffline(f"could not write to the printer: {exc}") from exc
            after = self._state_after_job(len(data))
            if after is PrinterState.PAPER_OUT:
                raise PaperOut("the paper ran out while the slip was printed")
        self._after_job(data)
        return after

    def state(self) -> PrinterState:
        """Ask the printer for paper and online status; UNKNOWN if it does not answer.

        While a slip is being sent the printer is not interrupted: the state it gave last is returned.
        """
        if not self._can_query:
            return PrinterState.OK
        if not self._lock.acquire(blocking=False):
            return self.last_state
        try:
            return self._query_state()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Release the transport (USB interface, serial port, socket)."""
        self.device.close()

    def _note(self, state: PrinterState) -> PrinterState:
        """Remember what the printer said (or that it was silent), for :meth:`state` during a slip."""
        self.last_state, self.last_checked = state, time.time()
        return state

    def _ask(self, query: bytes, wait_s: float) -> bytes:
        """One status query; a timeout is an empty reply, a broken link raises OSError."""
        try:
            return ask(self.device, query, wait_s)
        except (OSError, DeviceNotFoundError) as exc:
            if _is_timeout(exc):
                return b""
            self._reset_device()
            raise OSError(str(exc)) from exc

    def _query_state(self) -> PrinterState:
        """Query ``DLE EOT 4`` then ``DLE EOT 1``, trusting only real reply bytes."""
        try:
            paper = parse_paper_status(self._ask(PAPER_QUERY, QUERY_SECONDS))
            self._answers = paper is not PrinterState.UNKNOWN
            if not self._answers:
                return self._note(PrinterState.UNKNOWN)
            online = parse_online_status(self._ask(ONLINE_QUERY, QUERY_SECONDS))
        except OSError:
            return self._note(PrinterState.OFFLINE)
        if paper is PrinterState.PAPER_OUT or online is not PrinterState.OFFLINE:
            return self._note(paper)      # no paper is the more telling word: many printers also go offline
        return self._note(PrinterState.OFFLINE)

    def _state_before_job(self) -> PrinterState:
        """State checked before each slip; a printer known not to answer is not asked again."""
        if not self._can_query:
            return self.state()           # a file always takes it; the simulator says what it pretends
        if self._answers is False:
            return PrinterState.UNKNOWN
        return self._query_state()

    def _state_after_job(self, size: int) -> PrinterState:
        """Ask ``GS r 1``, answered once the slip is printed; silence is followed by ``DLE EOT 4``.

        A printer that answers ``DLE EOT`` but never ``GS r`` is asked ``DLE EOT 4`` alone from then
        on: its reply waits behind the slip on the serial line, so it still comes after the slip.
        """
        if not self._can_query:
            return self.state()
        if self._answers is False:
            return self._note(PrinterState.UNKNOWN)
        wire = wire_seconds(size, baudrate_of(self.device))
        try:
            after = PrinterState.UNKNOWN
            if self._processed_answers is not False:
                after = parse_processed_status(self._ask(PROCESSED_QUERY, wire + PRINT_SECONDS))
            if after is PrinterState.UNKNOWN:   # no GS r here, or the paper ran out and it went quiet
                after = parse_paper_status(self._ask(PAPER_QUERY, wire + QUERY_SECONDS))
                if after is not PrinterState.UNKNOWN and self._processed_answers is None:
                    self._processed_answers = False
            elif self._processed_answers is None:
                self._processed_answers = True
        except OSError:
            return self._note(PrinterState.OFFLINE)
        return self._note(after)

    def _reset_device(self) -> None:
        """Drop a broken connection so the next write opens the device afresh."""
        try:
            self.device.close()
        except OSError:
            pass
        self.device.device = False  # python-escpos reopens lazily when this is False

    def _after_job(self, data: bytes) -> None:
        """Hook run after a slip was written (the simulator records it)."""


def open_printer(kind: str, *, profile: str | None = None, text_mode: str = "gb18030",
                 fonts: raster.FontSet | None = None, **options: Any) -> EscposPrinter:
    """Build a printer from configuration; width, cutter and QR come from the profile."""
    caps = profile_capabilities(profile)
    device = make_device(kind, profile, options)
    return EscposPrinter(
        device, text_mode=text_mode, width_px=caps.width_px, cutter=caps.cutter, native_qr=caps.native_qr,
        fonts=fonts,
    )
