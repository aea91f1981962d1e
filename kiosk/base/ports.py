"""What the station core needs from hardware, as small structural interfaces.

The core never imports `drivers/`: it states here the few methods it calls,
and `kiosk/hardware.py` hands it objects (real or simulated) that have them.
"""

from __future__ import annotations

from typing import Any, Callable, ContextManager, Protocol, Sequence


class PrintJob(Protocol):
    """One slip being composed; nothing reaches the printer until the job ends."""

    def text(self, s: str, *, align: str = "left", scale: int = 1, bold: bool = False) -> None: ...
    def qr(self, data: str, *, size: int = 6) -> None: ...
    def rule(self) -> None: ...
    def feed(self, lines: int = 1) -> None: ...
    def cut(self) -> None: ...


class Printer(Protocol):
    """A receipt printer: compose a slip, send its bytes, and say how it is (ok, paper_out, …).

    `job(send=f)` hands the finished slip's bytes to `f` instead of the printer (the spooler
    stores them); `send` writes them and returns the printer's state after the slip, raising
    OSError (paper out, offline) when it could not print.
    """

    def job(self, send: Callable[[bytes], Any] | None = None) -> ContextManager[PrintJob]: ...
    def send(self, data: bytes) -> object: ...
    def state(self) -> str: ...


class CardReader(Protocol):
    """A card reader that reports each (de-duplicated) card tap through `when_card`."""

    when_card: Callable[[str], None]

    @property
    def state(self) -> str: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class LockerBank(Protocol):
    """Locker doors: unlock one, read its door sensor, hear about door changes."""

    when_door: Callable[[str, str], None]

    @property
    def slot_ids(self) -> Sequence[str]: ...
    def unlock(self, slot_id: str) -> None: ...
    def door(self, slot_id: str) -> str | None: ...
    def close(self) -> None: ...


class Voice(Protocol):
    """An offline speech synthesiser for calling numbers (None when none is installed)."""

    def wav(self, text: str, lang: str = "zh") -> bytes | None: ...


def state_word(state: object) -> str:
    """A device state as the plain word of the telemetry contract ("ok", "paper_out", …).

    Drivers report `str` enums; the core compares and stores their values only.
    """
    return str(getattr(state, "value", state))
