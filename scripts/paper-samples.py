#!/usr/bin/env python3
"""Draw the demo station's ticket as paper: its ESC/POS bytes decoded and rendered by drivers/paper.py.

For each text mode (gb18030, raster) and language (zh, bo) it composes the
ticket exactly as the kiosk does (the consult service, 12 people ahead),
prints its size in bytes and its wire time at 9600 baud, and writes
ticket-<mode>-<lang>.png into the folder given (the README's images).
Run: .venv/bin/python scripts/paper-samples.py docs/paper
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drivers import paper  # noqa: E402
from drivers.sim_printer import SimPrinter  # noqa: E402
from kiosk import config as cfg  # noqa: E402
from kiosk import demo, hardware  # noqa: E402
from kiosk.base import store  # noqa: E402
from kiosk.base.bus import Bus  # noqa: E402
from kiosk.station import Station  # noqa: E402
from kiosk.tickets.slips import ticket_slip  # noqa: E402


#: A Wednesday morning, 10:00 in Lhasa: the demo's queue is open, whenever the script runs.
OPEN = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = cfg.load(demo.write_config(Path(tmp)))
        store.open_store(config.database_path).close()
        hw = hardware.build(config)
        for mode in ("gb18030", "raster"):
            printer = SimPrinter(text_mode=mode, fonts=hw.printer.fonts)
            station = Station(config, printer=printer, reader=hw.reader, lockers=hw.lockers, bus=Bus(),
                              clock=lambda: OPEN)
            for _ in range(12):
                station.queue.issue(station.db(), "consult")
            issued = station.queue.issue(station.db(), "consult")
            for lang in ("zh", "bo"):
                data = station.printing.spooler.compose(ticket_slip(config, issued, lang))
                out = folder / f"ticket-{mode}-{lang}.png"
                out.write_bytes(paper.render_png(data, width_px=printer.width_px))
                print(f"{out}: {len(data):,} bytes, {len(data) * 10 / 9600:.1f} s at 9600 baud")
            station.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "paper")
