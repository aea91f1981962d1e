"""The python-escpos transports a station printer is built on, each able to ask a status and wait for it.

python-escpos's ``query_status`` reads 16 bytes with the transport's fixed
timeout: pyserial then waits out the whole timeout even when the one reply
byte came at once, and nothing can wait longer for the reply to ``GS r``,
which comes only once the slip before it was printed. Each transport here
adds ``ask(query, wait_s)``: send the query, return the reply (empty when the
printer stayed silent for ``wait_s``). The library-backed classes are built
lazily, so importing this module needs neither pyserial nor pyusb.
"""

from __future__ import annotations

import functools
from typing import Any

from escpos.escpos import Escpos

from drivers.errors import DeviceUnavailable
from drivers.printer_file import AppendFile

__all__ = ["make_device", "can_ask", "ask", "baudrate_of"]

_OPTIONS = {
    "usb": ({"vendor_id", "product_id"}, {"timeout_ms"}),
    "serial": ({"device"}, {"baudrate", "timeout"}),
    "network": ({"host"}, {"port", "timeout"}),
    "file": ({"path"}, set()),
}


def can_ask(device: Escpos) -> bool:
    """Tell whether the transport can read a reply (USB, serial, network), not a file or a Dummy."""
    return callable(getattr(device, "ask", None)) or type(device)._read is not Escpos._read


def ask(device: Escpos, query: bytes, wait_s: float) -> bytes:
    """Send a status query and return the printer's reply, waiting at most ``wait_s``."""
    own = getattr(device, "ask", None)
    if callable(own):
        return bytes(own(query, wait_s))
    return bytes(device.query_status(query))


def baudrate_of(device: Escpos) -> int | None:
    """The serial line's baud rate, or None for transports without one."""
    rate = getattr(device, "baudrate", None)
    return rate if isinstance(rate, int) else None


@functools.cache
def serial_class() -> type[Escpos]:
    """escpos ``Serial`` that returns as soon as the reply byte arrives, and can wait longer for it."""
    from escpos.printer import Serial

    class SerialPrinter(Serial):
        """A serial printer; status replies are one byte."""

        def ask(self, query: bytes, wait_s: float) -> bytes:
            """Send ``query`` and read its single reply byte (empty if silent for ``wait_s``)."""
            self.device.reset_input_buffer()  # a late reply to an earlier query is not this answer
            self._raw(query)
            before, self.device.timeout = self.device.timeout, wait_s
            try:
                return self.device.read(1)
            finally:
                self.device.timeout = before

        def query_status(self, mode: bytes) -> bytes:
            """python-escpos's query, answered within the configured timeout."""
            return self.ask(mode, self.timeout)

    return SerialPrinter


@functools.cache
def usb_class() -> type[Escpos]:
    """escpos ``Usb`` whose status read can wait as long as a slip takes to print."""
    from escpos.printer import Usb

    class UsbPrinter(Usb):
        """A USB printer (bulk endpoints); a silent printer times the read out."""

        def ask(self, query: bytes, wait_s: float) -> bytes:
            """Send ``query`` and read the reply from the IN endpoint, waiting at most ``wait_s``."""
            self._raw(query)
            return bytes(self.device.read(self.in_ep, 16, int(wait_s * 1000)))

    return UsbPrinter


@functools.cache
def network_class() -> type[Escpos]:
    """escpos ``Network`` whose status read waits ``wait_s``, not the socket's long timeout."""
    from escpos.printer import Network

    class NetworkPrinter(Network):
        """A printer on TCP port 9100."""

        def ask(self, query: bytes, wait_s: float) -> bytes:
            """Send ``query`` and read what comes back within ``wait_s``."""
            self._raw(query)
            before = self.device.gettimeout()
            self.device.settimeout(wait_s)
            try:
                return self.device.recv(16)
            finally:
                self.device.settimeout(before)

    return NetworkPrinter


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


def make_device(kind: str, profile: str | None, options: dict[str, Any]) -> Escpos:
    """Build the python-escpos transport for ``kind``."""
    _check_options(kind, options)
    if kind == "usb":
        from escpos.printer import usb

        if not usb.is_usable():
            raise DeviceUnavailable("printer kind 'usb' needs pyusb and libusb (pip install pyusb)")
        vendor, product = _as_int(options["vendor_id"]), _as_int(options["product_id"])
        return usb_class()(vendor, product, timeout=options.get("timeout_ms", 3000), profile=profile)
    if kind == "serial":
        baudrate = int(options.get("baudrate", 9600))
        return serial_class()(options["device"], baudrate, timeout=options.get("timeout", 1), profile=profile)
    if kind == "network":
        port = int(options.get("port", 9100))
        return network_class()(options["host"], port, timeout=options.get("timeout", 5), profile=profile)
    return AppendFile(options["path"], profile=profile)
