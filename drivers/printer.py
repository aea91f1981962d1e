"""ESC/POS receipt printer over python-escpos.

A slip is built in memory as a :class:`PrintJob` and sent to the printer in
one write when the ``with`` block ends, so our side never leaves half a slip.
Chinese is sent in the printer's Chinese mode (``FS &`` + GB18030 + ``FS .``)
rather than through python-escpos ``text()``, which garbles full-width
punctuation; what the printer's font cannot show is printed as an image.
"""

from __future__ import annotations

import errno
import functools
import threading
from enum import Enum
from typing import Any

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError

from drivers import raster
from drivers.errors import DeviceUnavailable, PaperOut, PrinterOffline
from drivers.print_job import TEXT_MODES, Capabilities, PrintJob, profile_capabilities
from drivers.printer_file import AppendFile

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

class PrinterState(str, Enum):
    """What the printer last said about itself; UNKNOWN when it did not answer."""

    OK = "ok"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


def _status_byte(reply: bytes) -> int | None:
    """Return the reply byte of a ``DLE EOT`` query, or None if it is not one."""
    if len(reply) < 1 or reply[0] & 0x93 != 0x12:  # fixed bits: 1 and 4 set, 0 and 7 clear
        return None
    return reply[0]


def parse_paper_status(reply: bytes) -> PrinterState:
    """Interpret the printer's answer to ``DLE EOT 4``; no answer is UNKNOWN, not OK."""
    byte = _status_byte(reply)
    if byte is None:
        return PrinterState.UNKNOWN
    if byte & 0x60:
        return PrinterState.PAPER_OUT
    if byte & 0x0C:
        return PrinterState.PAPER_LOW
    return PrinterState.OK


def parse_online_status(reply: bytes) -> PrinterState:
    """Interpret the printer's answer to ``DLE EOT 1``; no answer is UNKNOWN."""
    byte = _status_byte(reply)
    if byte is None:
        return PrinterState.UNKNOWN
    return PrinterState.OFFLINE if byte & 0x08 else PrinterState.OK


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
        self._can_query = type(device)._read is not Escpos._read
        self._answers: bool | None = None

    @property
    def capabilities(self) -> Capabilities:
        """Paper width, cutter and native QR, as this printer was built with."""
        return Capabilities(self.width_px, self.cutter, self.native_qr)

    def job(self) -> PrintJob:
        """Start a slip; it is sent when the ``with`` block ends without an error."""
        return PrintJob(self.capabilities, self.send, profile=self.device.profile, text_mode=self.text_mode,
                        fonts=self.fonts)

    def send(self, data: bytes) -> None:
        """Write a finished slip in one write; raise PaperOut or PrinterOffline."""
        with self._lock:
            if self._state_before_job() is PrinterState.PAPER_OUT:
                raise PaperOut("the printer reports no paper; the slip was not sent")
            try:
                self.device._raw(data)
            except (OSError, DeviceNotFoundError) as exc:
                self._reset_device()
                raise PrinterOffline(f"could not write to the printer: {exc}") from exc
        self._after_job(data)

    def state(self) -> PrinterState:
        """Ask the printer for paper and online status; UNKNOWN if it does not answer."""
        if not self._can_query:
            return PrinterState.OK
        with self._lock:
            return self._query_state()

    def close(self) -> None:
        """Release the transport (USB interface, serial port, socket)."""
        self.device.close()

    def _query_state(self) -> PrinterState:
        """Query ``DLE EOT 4`` then ``DLE EOT 1``, trusting only real reply bytes."""
        try:
            paper = parse_paper_status(bytes(self.device.query_status(RT_STATUS_PAPER)))
            self._answers = paper is not PrinterState.UNKNOWN
            if not self._answers:
                return PrinterState.UNKNOWN
            online = parse_online_status(bytes(self.device.query_status(RT_STATUS_ONLINE)))
        except (OSError, DeviceNotFoundError) as exc:
            if _is_timeout(exc):
                self._answers = False
                return PrinterState.UNKNOWN
            self._reset_device()
            return PrinterState.OFFLINE
        return PrinterState.OFFLINE if online is PrinterState.OFFLINE else paper

    def _state_before_job(self) -> PrinterState:
        """State checked before each slip; a printer known not to answer is not asked again."""
        if self._can_query and self._answers is False:
            return PrinterState.UNKNOWN
        return self.state()

    def _reset_device(self) -> None:
        """Drop a broken connection so the next write opens the device afresh."""
        try:
            self.device.close()
        except OSError:
            pass
        self.device.device = False  # python-escpos reopens lazily when this is False

    def _after_job(self, data: bytes) -> None:
        """Hook run after a slip was written (the simulator records it)."""


@functools.cache
def _serial_printer_class() -> type[Escpos]:
    """Build the serial transport lazily, so importing this module needs no pyserial."""
    from escpos.printer import Serial

    class SerialPrinter(Serial):
        """escpos ``Serial`` whose status query returns as soon as the one reply byte arrives.

        python-escpos reads 16 bytes, and pyserial waits out the whole timeout
        for them, so every query cost a full second even on a printer that answers.
        """

        def query_status(self, mode: bytes) -> bytes:
            """Send a ``DLE EOT`` query and read its single reply byte (empty if silent)."""
            self.device.reset_input_buffer()  # a late reply to an earlier query is not this answer
            self._raw(mode)
            return self.device.read(1)

    return SerialPrinter


_OPTIONS = {
    "usb": ({"vendor_id", "product_id"}, {"timeout_ms"}),
    "serial": ({"device"}, {"baudrate", "timeout"}),
    "network": ({"host"}, {"port", "timeout"}),
    "file": ({"path"}, set()),
}


def _check_options(kind: str, options: dict[str, Any]) -> None:
    """Reject an unknown kind, a missing option or an unexpected one, naming it."""
    if kind not in _OPTIONS:
        raise ValueError(f"unknown printer kind {kind!r}; expected one of {', '.join(_OPTIONS)}")
    required, optional = _OPTIONS[kind]
    missing = sorted(required - options.keys())
    extra = sorted(options.keys() - required - optional)
    if missing:
        raise ValueError(f"printer kind {kind!r} needs option(s) {', '.join(missing)}")
    if extra:
        raise ValueError(f"printer kind {kind!r} does not take option(s) {', '.join(extra)}")


def _as_int(value: int | str) -> int:
    """Accept USB ids as ints or strings such as ``"0x0416"``."""
    return value if isinstance(value, int) else int(str(value), 0)


def _make_device(kind: str, profile: str | None, options: dict[str, Any]) -> Escpos:
    """Build the python-escpos transport for ``kind``."""
    _check_options(kind, options)
    if kind == "usb":
        from escpos.printer import usb

        if not usb.is_usable():
            raise DeviceUnavailable("printer kind 'usb' needs pyusb and libusb (pip install pyusb)")
        vendor, product = _as_int(options["vendor_id"]), _as_int(options["product_id"])
        return usb.Usb(vendor, product, timeout=options.get("timeout_ms", 3000), profile=profile)
    if kind == "serial":
        baudrate = int(options.get("baudrate", 9600))
        return _serial_printer_class()(options["device"], baudrate, timeout=options.get("timeout", 1), profile=profile)
    if kind == "network":
        from escpos.printer import Network

        port = int(options.get("port", 9100))
        return Network(options["host"], port, timeout=options.get("timeout", 5), profile=profile)
    return AppendFile(options["path"], profile=profile)


def open_printer(kind: str, *, profile: str | None = None, text_mode: str = "gb18030",
                 fonts: raster.FontSet | None = None, **options: Any) -> EscposPrinter:
    """Build a printer from configuration; width, cutter and QR come from the profile."""
    caps = profile_capabilities(profile)
    device = _make_device(kind, profile, options)
    return EscposPrinter(
        device, text_mode=text_mode, width_px=caps.width_px, cutter=caps.cutter, native_qr=caps.native_qr,
        fonts=fonts,
    )
