"""Help requests at full durability: asking (request + event + slip on a `file` printer), then the loop.

In-process Station over the demo config with the `file` printer (raw ESC/POS
appended to a file). For each request: `ask_for_help` (one BEGIN IMMEDIATE
transaction with its step and `request.created`, then the slip composed and
written); then dispatch, accept, done (with its ledger entry and
`points.entry`) and rate, each one transaction with its event.
Run: .venv/bin/python bench/help_requests.py [requests]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _common import demo_station, enter_quota, setting, summary

from kiosk import config, hardware
from kiosk.base.bus import Bus
from kiosk.station import Station

FILE_PRINTER = {'[printer]\nkind = "sim"': '[printer]\nkind = "file"\npath = "paper.bin"'}


def main(n: int) -> None:
    enter_quota()                       # this process is the one measured
    print(f"help requests, in this process {setting()}")
    with tempfile.TemporaryDirectory() as tmp:
        path, _port = demo_station(Path(tmp), replace=FILE_PRINTER)
        cfg = config.load(path)
        hw = hardware.build(cfg)
        st = Station(cfg, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus())
        st.start()                       # the print worker sends the slips behind the asking
        conn = st.db()
        ask, ops = [], {"dispatch": [], "accept": [], "done": [], "rate": []}
        ids = []
        for i in range(n):
            t0 = time.perf_counter()
            req, job = st.ask_for_help("repairs", "13812345678", ["tap", "light"], "today_pm", consent=True,
                                       key=f"bench-{i}")
            ask.append((time.perf_counter() - t0) * 1000)
            assert job is not None
            ids.append(req.id)
        while not all((j := st.printing.latest_for(r)) is not None and j.done for r in ids[-1:]):
            time.sleep(0.05)             # the last slip is on paper (jobs go in order)
        paper = (Path(tmp) / "paper.bin").stat().st_size
        desk = st.requests
        for request_id in ids:
            for name, call in (("dispatch", lambda: desk.dispatch(conn, request_id, "M001", points=1)),
                               ("accept", lambda: desk.accept(conn, request_id, "M001")),
                               ("done", lambda: desk.done(conn, request_id, "M001", "solved")),
                               ("rate", lambda: desk.rate(conn, request_id, 5))):
                t0 = time.perf_counter()
                call()
                ops[name].append((time.perf_counter() - t0) * 1000)
        print(f"ask (request + event + slip queued for the file printer): {summary(ask)}; {paper // n} bytes per slip")
        for name, values in ops.items():
            print(f"{name}: {summary(values)}")
        total = sum(ask) + sum(sum(v) for v in ops.values())
        print(f"whole loop per request: {total / n:.1f} ms")
        st.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
