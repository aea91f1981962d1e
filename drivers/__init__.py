"""Hardware drivers of the station: printer, card readers, lockers and their simulated twins.

This package knows hardware and nothing of the station. Importing it is cheap:
the heavy libraries (python-escpos, gpiozero, pyserial, Pillow) are imported
only by the submodule that needs them, e.g. ``from drivers.printer import
EscposPrinter``.
"""

from __future__ import annotations

from drivers.errors import (
    DeviceUnavailable,
    DriverError,
    FrameError,
    PaperOut,
    PrinterError,
    PrinterOffline,
    UnknownSlot,
)

__all__ = [
    "DriverError",
    "PrinterError",
    "PaperOut",
    "PrinterOffline",
    "FrameError",
    "DeviceUnavailable",
    "UnknownSlot",
]
