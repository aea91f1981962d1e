"""Exceptions raised by the hardware drivers.

Every error derives from :class:`DriverError`, and where it resembles a builtin
it also derives from that builtin, so callers can catch either.
"""

from __future__ import annotations

__all__ = [
    "DriverError",
    "PrinterError",
    "PaperOut",
    "PrinterOffline",
    "FrameError",
    "DeviceUnavailable",
    "UnknownSlot",
]


class DriverError(Exception):
    """Root of every error raised by ``drivers``, so a caller can catch them all."""


class PrinterError(DriverError, OSError):
    """A print job could not be delivered to the printer."""


class PaperOut(PrinterError):
    """The printer reports no paper, so the job was not sent."""


class PrinterOffline(PrinterError):
    """The printer could not be opened or written to."""


class FrameError(DriverError, ValueError):
    """Bytes from a card reader do not form a valid frame."""


class DeviceUnavailable(DriverError, OSError):
    """A device cannot be used because a library or the device itself is missing."""


class UnknownSlot(DriverError, KeyError):
    """A locker slot id that the bank was not configured with."""

    def __str__(self) -> str:
        """Show the message plainly (KeyError would wrap it in quotes)."""
        return str(self.args[0]) if self.args else ""
