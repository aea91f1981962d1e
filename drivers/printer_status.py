"""What an ESC/POS printer says about itself: the status queries, their replies, and how long to wait.

Two kinds of query are used, before and after each slip:

- ``DLE EOT n`` is answered at once, even while the printer is busy: ``n = 4``
  reads the paper sensors, ``n = 1`` the online state (cover open, error).
  Replies have bits 1 and 4 set and bits 0 and 7 clear.
- ``GS r 1`` is answered only when the printer has *processed everything sent
  before it*, so sent after a slip its reply says the slip reached the paper,
  and how much paper is left. Its reply has bits 4 and 7 clear.

A printer that does not answer is UNKNOWN, never OK: python-escpos's own
``paper_status()`` says "plenty" when nothing came back.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "PrinterState", "PAPER_QUERY", "ONLINE_QUERY", "PROCESSED_QUERY",
    "parse_paper_status", "parse_online_status", "parse_processed_status", "wire_seconds",
]

PAPER_QUERY = b"\x10\x04\x04"       # DLE EOT 4: paper sensors, real time
ONLINE_QUERY = b"\x10\x04\x01"      # DLE EOT 1: online state, real time
PROCESSED_QUERY = b"\x1dr\x01"      # GS r 1: paper sensors, after everything before it was processed


class PrinterState(str, Enum):
    """What the printer last said about itself; UNKNOWN when it did not answer."""

    OK = "ok"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


def _status_byte(reply: bytes) -> int | None:
    """Return the reply byte of a ``DLE EOT`` query, or None if it is not one."""
    if len(reply) < 1 or reply[-1] & 0x93 != 0x12:  # fixed bits: 1 and 4 set, 0 and 7 clear
        return None
    return reply[-1]


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


def parse_processed_status(reply: bytes) -> PrinterState:
    """Interpret the answer to ``GS r 1`` (bits 0-1 near end, 2-3 paper end); no answer is UNKNOWN."""
    if len(reply) < 1 or reply[-1] & 0x90:
        return PrinterState.UNKNOWN
    byte = reply[-1]
    if byte & 0x0C:
        return PrinterState.PAPER_OUT
    if byte & 0x03:
        return PrinterState.PAPER_LOW
    return PrinterState.OK


def wire_seconds(size: int, baudrate: int | None) -> float:
    """Seconds ``size`` bytes take on a serial line (8N1: ten bits a byte); 0 without a baud rate."""
    return size * 10 / baudrate if baudrate else 0.0
