"""A slow serial printer for tests and benchmarks: the far end of a pty that drains at the baud rate.

A raw pty holds about 20 KB before a write blocks, so a `serial` printer on a
bare pty takes a whole slip at once and shows no wire time (DESIGN.md §7,
"Printers and ptys"). This far end reads at most baud/10 bytes a second, as
a UART at 8N1 would deliver them, and acts on the commands as a printer does
when each byte arrives: it answers `DLE EOT 4` / `DLE EOT 1` (paper, online)
and `GS r 1` (paper, sent once everything before it was processed), skips
over image and QR data so their bytes are never read as commands, and keeps
what it printed. Paper can run out, come back, or run out after so many
bytes; the printer can be silent; the line can be held (nothing drains).
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from typing import Iterator

from drivers import paper

DLE, EOT, GS, ESC = 0x10, 0x04, 0x1D, 0x1B
CHUNK = 16          # bytes read at a time: 17 ms of wire at 9600 baud


class SlowPrinter:
    """A serial thermal printer at `baud` behind a pty; `path` is what station.toml names as `device`."""

    def __init__(self, baud: int = 9600, *, answers: bool = True, processed_answers: bool = True) -> None:
        """`answers`: replies to status queries at all; `processed_answers`: to GS r as well."""
        self.baud = baud
        self.answers = answers
        self.processed_answers = processed_answers
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)       # no echo, no newline translation, before anyone opens it
        self.path = os.ttyname(self.slave)
        self.received = bytearray()  # every byte that crossed the wire
        self.printed = bytearray()   # the bytes that reached paper (not the queries, not while out of paper)
        self.last_byte_at = 0.0      # time.monotonic() when the latest byte finished arriving
        self.first_byte_at = 0.0
        self._paper = "ok"           # ok | low | out
        self._offline = False
        self._out_after: int | None = None
        self._held = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._parser = self._commands()
        next(self._parser)
        self._thread = threading.Thread(target=self._drain, name=f"slow-printer-{baud}", daemon=True)
        self._thread.start()

    # -- what a test does to the printer ------------------------------------------
    def pull_paper(self) -> None:
        self._paper = "out"

    def load_paper(self) -> None:
        self._paper, self._out_after = "ok", None

    def paper_low(self) -> None:
        self._paper = "low"

    def run_out_after(self, count: int) -> None:
        """The roll ends after `count` more printed bytes (mid-slip)."""
        self._out_after = len(self.printed) + count

    def set_offline(self, offline: bool = True) -> None:
        """Cover open: the printer says it is offline."""
        self._offline = offline

    def hold(self) -> None:
        """Stop draining the line (a printer busy or wedged): writes pile up in the pty."""
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    def pending(self) -> bool:
        """Are bytes waiting on the line that the printer has not taken yet?"""
        return bool(select.select([self.master], [], [], 0)[0])

    def cuts(self) -> int:
        """How many slips were cut on paper."""
        return sum(isinstance(item, paper.Cut) for item in paper.decode(bytes(self.printed)))

    def text(self) -> str:
        return paper.text_of(bytes(self.printed))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self.slave)

    # -- the wire -----------------------------------------------------------------
    def _drain(self) -> None:
        """Take the line's bytes at the baud rate; a thread woken late catches up, as a UART would have."""
        wire_clock = time.monotonic()
        while not self._stop.is_set():
            if self._held.is_set():
                self._stop.wait(0.01)
                continue
            if not select.select([self.master], [], [], 0)[0]:       # the line is idle
                if not select.select([self.master], [], [], 0.05)[0]:
                    continue
                wire_clock = max(wire_clock, time.monotonic())       # the next bytes start now
            try:
                chunk = os.read(self.master, CHUNK)
            except OSError:
                return
            wire_clock += len(chunk) * 10 / self.baud
            pause = wire_clock - time.monotonic()
            if pause > 0:
                time.sleep(pause)    # the bytes are still on the wire until then
            with self._lock:
                self.first_byte_at = self.first_byte_at or wire_clock
                self.received += chunk
                self.last_byte_at = wire_clock
                for byte in chunk:
                    self._parser.send(byte)

    def _reply(self, byte: int) -> None:
        if self.answers:
            os.write(self.master, bytes([byte]))

    def _paper_present(self) -> bool:
        if self._out_after is not None and len(self.printed) >= self._out_after:
            self._paper = "out"
        return self._paper != "out"

    def _status(self, n: int) -> int:
        """The reply byte to DLE EOT n."""
        if n == 1:
            return 0x1A if self._offline or self._paper == "out" else 0x12
        return {"ok": 0x12, "low": 0x1E, "out": 0x72}[self._paper] if n == 4 else 0x12

    def _print(self, data: bytes) -> None:
        for byte in data:
            if self._paper_present() and not self._offline:
                self.printed.append(byte)

    def _commands(self) -> Iterator[None]:
        """Fed one byte at a time: answers queries, passes everything else to paper."""
        while True:
            byte = yield
            if byte == DLE:
                second = yield
                if second == EOT:
                    self._reply(self._status((yield)))
                    continue
                self._print(bytes([byte, second]))
            elif byte == GS:
                second = yield
                if second == ord("r"):
                    yield                                   # n: only the paper sensors (1) are asked
                    if self._paper_present() and self.processed_answers:   # without paper: no answer
                        self._reply(0x03 if self._paper == "low" else 0x00)
                    continue
                head = bytes([byte, second])
                if second == ord("v"):                      # GS v 0 m xL xH yL yH + image
                    header = yield from _take(6)
                    size = int.from_bytes(header[2:4], "little") * int.from_bytes(header[4:6], "little")
                    self._print(head + header + (yield from _take(size)))
                elif second == ord("("):                    # GS ( k / GS ( L: pL pH + data
                    header = yield from _take(3)
                    size = int.from_bytes(header[1:3], "little")
                    self._print(head + header + (yield from _take(size)))
                else:
                    self._print(head)
            else:
                self._print(bytes([byte]))



def _take(count: int) -> Iterator[None]:
    """Inside the command parser: the next `count` bytes fed to it."""
    taken = bytearray()
    for _ in range(count):
        taken.append((yield))
    return bytes(taken)
