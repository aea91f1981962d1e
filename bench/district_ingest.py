"""The district hub's ingest: events stored and acknowledged per second from 100 stations, SQLite and PostgreSQL.

A real mosquitto (the registry's password and ACL files), the real hub
process (`vstation district run --no-console`) and 100 light station twins
(tests/hub.py: one MQTT session each, logged in with the credentials
`add-station` made) in this process. Each twin sends its events in packs of
100, as a station does, with at most 8 packs beyond the hub's last ack, and sends again from the
ack when none came for 30 s (the station's own rule; `re-sent` counts them).
The clock runs from the first pack to the last ack; every event is then
checked to be in the hub's database exactly once. CPU = user + system time
of the broker and of the hub over the run (/proc/<pid>/stat), as a share of
one core. The machine is shared: figures move with its load.
Run: .venv/bin/python bench/district_ingest.py [--stations 100] [--events 1000] [--engine sqlite postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT / "tests"))

from hub import Rig, Twin  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from district.db.engine import reading  # noqa: E402
from district.db.schema import events as events_table  # noqa: E402

TICK = __import__("os").sysconf("SC_CLK_TCK")
PACK, WINDOW = 100, 8
ACK_TIMEOUT_S = 30.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def drive(twin: Twin, total: int, go: threading.Event) -> None:
    """Send `total` events in packs, at most WINDOW packs beyond the last ack; as a station does, send
    again from the ack when none came for ACK_TIMEOUT_S (counted in `resent`)."""
    events = [twin.event("ticket.issued", {"ticket_id": f"{twin.station}-{i}", "number": "A001",
                                           "service": "consult", "position": 3, "priority": False})
              for i in range(total)]
    go.wait()
    cursor, last_progress, acked = 0, time.monotonic(), 0
    while acked < total:
        now_acked = max(twin.acked(), 0)
        if now_acked > acked:
            acked, last_progress = now_acked, time.monotonic()
        if time.monotonic() - last_progress > ACK_TIMEOUT_S:
            twin.resent += cursor - acked
            cursor, last_progress = acked, time.monotonic()
        if cursor < total and cursor - acked < WINDOW * PACK:
            twin.send(events[cursor:cursor + PACK])
            cursor = min(total, cursor + PACK)
        else:
            time.sleep(0.002)


def run(engine: str, stations: int, per_station: int, postgres) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"district-bench-{engine}-"))
    url = postgres.create_database() if engine == "postgresql" else None
    rig = Rig(folder, url)
    try:
        names = [f"bench-{i:03d}" for i in range(stations)]
        for name in names:
            rig.add_station(name)
        hub = rig.spawn_hub("--no-console")
        time.sleep(2.0)                                     # connected and subscribed
        twins = [Twin(rig.broker, n, rig.secret(n, "mqtt.secret"), epoch=1_700_000_000_000) for n in names]
        for twin in twins:
            twin.resent = 0
            twin.birth()
        go = threading.Event()
        threads = [threading.Thread(target=drive, args=(t, per_station, go), daemon=True) for t in twins]
        for thread in threads:
            thread.start()
        broker0, hub0, start = cpu_s(rig.broker.proc.pid), cpu_s(hub.pid), time.monotonic()
        go.set()
        for twin in twins:
            if not twin.wait_acked(per_station, timeout=600):
                raise RuntimeError(f"{twin.station}: acked only {twin.acked()} of {per_station}")
        wall = time.monotonic() - start
        broker_cpu, hub_cpu = cpu_s(rig.broker.proc.pid) - broker0, cpu_s(hub.pid) - hub0
        with reading(rig.engine) as conn:
            stored, distinct = conn.execute(select(func.count(), func.count(events_table.c.id.distinct()))).one()
        for twin in twins:
            twin.close()
        total = stations * per_station
        return {"engine": engine, "events": total, "stored": stored, "distinct": distinct, "wall_s": wall,
                "resent": sum(t.resent for t in twins),
                "per_s": total / wall, "broker_cpu": broker_cpu / wall, "hub_cpu": hub_cpu / wall}
    finally:
        rig.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=100)
    p.add_argument("--events", type=int, default=1000, help="events per station")
    p.add_argument("--engine", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = p.parse_args()
    postgres = None
    if "postgresql" in args.engine:
        from postgres import Postgres
        postgres = Postgres().start()
    try:
        print(f"district ingest: {args.stations} stations × {args.events} events, packs of {PACK}, window {WINDOW}")
        print(f"{'engine':<11} {'events':>8} {'stored once':>11} {'seconds':>8} {'events/s':>9} "
              f"{'broker CPU':>10} {'hub CPU':>8} {'re-sent':>8}")
        for engine in args.engine:
            r = run(engine, args.stations, args.events, postgres)
            once = "yes" if r["stored"] == r["distinct"] == r["events"] else f"NO ({r['stored']})"
            print(f"{r['engine']:<11} {r['events']:>8} {once:>11} {r['wall_s']:>8.1f} {r['per_s']:>9.0f} "
                  f"{r['broker_cpu']:>9.0%} {r['hub_cpu']:>8.0%} {r['resent']:>8}", flush=True)
    finally:
        if postgres:
            postgres.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
