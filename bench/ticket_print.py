"""Ticket button to the last printer byte: POST /api/v1/tickets → the ticket appended to the printer file.

The kiosk runs as its own process (`vstation kiosk`) with a `file` printer
(raw ESC/POS appended and fsynced to paper.bin) and its real database
(`BEGIN IMMEDIATE`, `synchronous=FULL`), so each figure includes the ticket's
commit, composing the slip and the printer write. The slip is written before
the HTTP response is sent; "last byte" is when the response has arrived *and*
the file has grown by a complete ticket (ending with its cut).
Also printed: bytes per ticket in text (gb18030) and raster mode, and what
they cost on a serial line at 9600 and 115200 baud (8N1: 10 bits per byte).
Budget (docs/architecture.md, Budgets): p50 under 100 ms.
Run: .venv/bin/python bench/ticket_print.py [tickets]
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from _common import demo_station, start_kiosk, summary

from drivers.sim_printer import SimPrinter
from kiosk import config as cfg
from kiosk import hardware
from kiosk.base.bus import Bus
from kiosk.station import Station

FILE_PRINTER = {'[printer]\nkind = "sim"': '[printer]\nkind = "file"\npath = "paper.bin"'}
CUT = b"\x1dV\x00"          # GS V 0: a ticket on the 80 mm demo profile ends with its cut
BAUDS = (9600, 115200)
WARM_UP = 20


class Sample(NamedTuple):
    """One ticket: ms to the HTTP response, ms to the last byte, file size after, printed before the answer."""

    response_ms: float
    last_byte_ms: float
    size: int
    printed_first: bool


def take_ticket(conn: http.client.HTTPConnection, paper: Path, before: int) -> Sample:
    """Take one ticket over `conn` and wait until the printer file holds all of it."""
    body = json.dumps({"service": "consult"})
    t0 = time.perf_counter()
    conn.request("POST", "/api/v1/tickets", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    answer = response.read()
    t_response = time.perf_counter()
    if response.status != 201 or json.loads(answer)["printed"] == "failed":
        raise RuntimeError(f"POST /api/v1/tickets answered {response.status}: {answer!r}")
    size = os.stat(paper).st_size
    printed_first = size > before and ends_with_cut(paper, size)
    deadline = t_response + 10
    while size <= before or not ends_with_cut(paper, size):
        if time.perf_counter() > deadline:
            raise RuntimeError("the ticket never reached the printer file")
        size = os.stat(paper).st_size
    t_last = time.perf_counter()
    return Sample((t_response - t0) * 1000, (t_last - t0) * 1000, size, printed_first)


def ends_with_cut(paper: Path, size: int) -> bool:
    """Tell whether the printer file ends with a complete ticket (its cut command)."""
    with open(paper, "rb") as handle:
        handle.seek(size - len(CUT))
        return handle.read(len(CUT)) == CUT


def measure(port: int, paper: Path, tickets: int) -> tuple[list[Sample], float]:
    """Take `tickets` tickets (after a warm-up) over one keep-alive connection; also bytes per ticket."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    size = paper.stat().st_size if paper.exists() else 0
    for _ in range(WARM_UP):
        size = take_ticket(conn, paper, size).size
    start, samples = size, []
    for _ in range(tickets):
        samples.append(take_ticket(conn, paper, size))
        size = samples[-1].size
    conn.close()
    return samples, (size - start) / tickets


def slip_bytes(config_path: Path, text_mode: str, lang: str) -> int:
    """Bytes of one consult ticket printed through the simulated printer (escpos Dummy)."""
    config = cfg.load(config_path)
    hw = hardware.build(config)
    printer = SimPrinter(profile="NT-80-V-UL", text_mode=text_mode)
    station = Station(config, printer=printer, reader=hw.reader, lockers=hw.lockers, bus=Bus())
    try:
        station.take_ticket("consult", lang=lang)
        return len(printer.jobs[-1])
    finally:
        station.stop()


def wire_time(size: int) -> str:
    """Seconds to send `size` bytes at each baud rate, 8N1."""
    return ", ".join(f"{size * 10 / baud:.2f} s at {baud}" for baud in BAUDS)


def main(tickets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config_path, port = demo_station(Path(tmp) / "kiosk", replace=FILE_PRINTER)
        paper = config_path.parent / "paper.bin"
        proc, _ = start_kiosk(config_path, port)
        try:
            samples, per_ticket = measure(port, paper, tickets)
        finally:
            proc.terminate()
            proc.wait(10)
        sizes_dir = Path(tmp) / "sizes"
        sizes = {(mode, lang): slip_bytes(demo_station(sizes_dir / f"{mode}-{lang}")[0], mode, lang)
                 for mode, lang in (("gb18030", "zh"), ("raster", "zh"), ("gb18030", "bo"), ("raster", "bo"))}
    print(f"ticket POST → HTTP response:            {summary([s.response_ms for s in samples])}")
    print(f"ticket POST → last printer byte (file): {summary([s.last_byte_ms for s in samples])}")
    first = sum(s.printed_first for s in samples)
    print(f"ticket complete in the file when the response arrived: {first} of {len(samples)}")
    print(f"printer file grew {per_ticket:.0f} bytes per ticket (gb18030, NT-80-V-UL, native QR)")
    for (mode, lang), size in sizes.items():
        print(f"one ticket, {mode:7} text, lang={lang}: {size:6,d} bytes = {wire_time(size)}")
    print("budget: p50 under 100 ms (ticket button to last printer byte)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
