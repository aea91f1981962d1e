"""Ticket button → screen answered, and ticket → last byte on the wire, with a slow serial printer.

The kiosk runs as its own process (`vstation kiosk`, under the Pi-class quota
when VSTATION_PI is set) with a `serial` printer on a pty whose far end drains
at the baud rate and answers DLE EOT / GS r like a printer
(tests/printer_rig.py): the wire time is real, as on a UART.

1. Screen: a resident's screen in Tibetan (the longest ticket) presses the
   service button: POST /queue/take (ticket committed, its slip composed and
   queued) → 302 → GET /queue/ticket/<id> (the page with its QR code). The
   figure is button to page received, tickets taken one after another while
   the print worker sends the earlier ones at 9600 baud behind them.
2. Wire: one ticket at a time, from the POST to the printer's last byte of
   that ticket (the rig's clock), beside the wire time of the bytes that
   crossed the line for it (slip + status queries, 10 bits a byte).
3. Bytes per ticket in each text mode and language, and their wire time.

Budgets (DESIGN.md §5, Pi 4 column): screen p99 under 150 ms with a
9600-baud printer; last byte within 10 % of the bytes' own wire time; a
Tibetan ticket at most 3,500 bytes.
Run: .venv/bin/python bench/ticket_print.py [screen tickets] [wire tickets]
"""

from __future__ import annotations

import http.client
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from _common import ROOT, demo_station, percentile, setting, start_kiosk, summary

sys.path.insert(0, str(ROOT / "tests"))

from printer_rig import SlowPrinter  # noqa: E402

from drivers.sim_printer import SimPrinter  # noqa: E402
from kiosk import config as cfg  # noqa: E402
from kiosk import hardware  # noqa: E402
from kiosk.base.bus import Bus  # noqa: E402
from kiosk.station import Station  # noqa: E402

SIM = '[printer]\nkind = "sim"'
BAUDS = (9600, 115200)


class Screen:
    """A kiosk screen over one keep-alive connection that keeps its session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, dict(response.getheaders()), text

    def press(self, service: str = "consult") -> tuple[float, str]:
        """Open the service screen, then time the button: ms to the ticket page, and the ticket id."""
        _, _, page = self.request("GET", "/queue/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "request_key": key, "service": service})
        t0 = time.perf_counter()
        status, headers, _ = self.request("POST", "/queue/take", form)
        if status != 302:
            raise RuntimeError(f"/queue/take answered {status}")
        location = urllib.parse.urlsplit(headers["Location"]).path
        status, _, page = self.request("GET", location)
        elapsed = (time.perf_counter() - t0) * 1000
        if status != 200 or "ticket-number" not in page:
            raise RuntimeError(f"{location} answered {status}")
        return elapsed, location.rsplit("/", 1)[1]


def serial_station(folder: Path, rig: SlowPrinter) -> tuple[Path, int]:
    return demo_station(folder, replace={SIM: f'[printer]\nkind = "serial"\ndevice = "{rig.path}"\n'
                                              f'baudrate = {rig.baud}'})


def screen_figures(tickets: int, folder: Path) -> list[float]:
    """Button to page, Tibetan screen, 9600-baud printer busy behind."""
    rig = SlowPrinter(9600)
    path, port = serial_station(folder, rig)
    proc, _ = start_kiosk(path, port)
    try:
        screen = Screen(port)
        screen.request("GET", "/lang/bo")
        for _ in range(10):                          # warm-up
            screen.press()
        times = []
        for _ in range(tickets):
            times.append(screen.press()[0])
            time.sleep(0.2)                          # the next resident steps up
        return times
    finally:
        proc.terminate()
        proc.wait(15)
        rig.close()


def wire_figures(tickets: int, baud: int, folder: Path) -> list[tuple[float, float]]:
    """Per ticket: (ms from the button to the last byte on the wire, ms the bytes themselves take)."""
    rig = SlowPrinter(baud)
    path, port = serial_station(folder, rig)
    proc, _ = start_kiosk(path, port)
    try:
        screen = Screen(port)
        screen.request("GET", "/lang/bo")
        screen.press()
        wait_cuts(rig, 1)
        out = []
        for n in range(tickets):
            before = len(rig.received)
            t0 = time.perf_counter()
            screen.press()
            wait_cuts(rig, n + 2)
            last = rig.last_byte_at - t0
            out.append((last * 1000, (len(rig.received) - before) * 10 / baud * 1000))
            time.sleep(0.3)
        return out
    finally:
        proc.terminate()
        proc.wait(15)
        rig.close()


def wait_cuts(rig: SlowPrinter, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while rig.cuts() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the printer cut {rig.cuts()} slips, not {count}")
        time.sleep(0.005)


def slip_bytes(folder: Path, text_mode: str, lang: str) -> int:
    """Bytes of one consult ticket as composed for the printer (escpos Dummy)."""
    config = cfg.load(demo_station(folder)[0])
    hw = hardware.build(config)
    printer = SimPrinter(profile="NT-80-V-UL", text_mode=text_mode, fonts=hw.printer.fonts)
    station = Station(config, printer=printer, reader=hw.reader, lockers=hw.lockers, bus=Bus())
    from kiosk.tickets.slips import ticket_slip

    issued = station.queue.issue(station.db(), "consult")
    return len(station.printing.spooler.compose(ticket_slip(config, issued, lang)))


def main(screen_tickets: int, wire_tickets: int) -> None:
    print(f"ticket printing, {setting()}")
    with tempfile.TemporaryDirectory() as tmp:
        times = screen_figures(screen_tickets, Path(tmp) / "screen")
        print(f"button → ticket page (Tibetan screen, 9600-baud printer printing behind): {summary(times)}")
        for baud in BAUDS:
            pairs = wire_figures(wire_tickets, baud, Path(tmp) / f"wire-{baud}")
            over = [last / own - 1 for last, own in pairs]
            print(f"button → last byte on the wire at {baud} baud: "
                  f"{summary([last for last, _ in pairs])}; the bytes' own wire time "
                  f"{min(o for _, o in pairs):.0f}-{max(o for _, o in pairs):.0f} ms; over it by "
                  f"p50 {percentile(over, 50) * 100:.1f} %, max {max(over) * 100:.1f} %")
        for mode, lang in (("gb18030", "zh"), ("gb18030", "bo"), ("raster", "zh"), ("raster", "bo")):
            size = slip_bytes(Path(tmp) / f"size-{mode}-{lang}", mode, lang)
            wire = ", ".join(f"{size * 10 / b:.2f} s at {b}" for b in BAUDS)
            print(f"one ticket, {mode:7} text, lang={lang}: {size:6,d} bytes = {wire}")
    print("budgets: button → page p99 < 150 ms (Pi 4); last byte within 10 % of the wire time; "
          "Tibetan ticket <= 3,500 bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 10)
