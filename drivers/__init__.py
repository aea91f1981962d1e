"""Hardware drivers of the station: printer, card readers, lockers and their simulated twins.

This package knows hardware and nothing of the station. Importing it is cheap:
the heavy libraries (python-escpos, gpiozero, pyserial, Pillow) are imported
only by the submodule that needs them, e.g. ``from drivers.printer import
EscposPrinter``. Before any of them loads python-escpos, its capabilities
database is pointed at a lasting cache (drivers/escpos_cache.py), which saves
every printing process a 0.4 s parse (seconds on a Pi Zero).
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
from drivers.escpos_cache import use_lasting_cache

use_lasting_cache()

__all__ = [
    "DriverError",
    "PrinterError",
    "PaperOut",
    "PrinterOffline",
    "FrameError",
    "DeviceUnavailable",
    "UnknownSlot",
]
