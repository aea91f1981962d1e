"""A week offline: a backlog of 1,000,000 events drained through mosquitto, with the sync process's peak RSS.

Setup writes the events straight into the outbox in one transaction (fast
bulk insert; the business transactions are measured by outbox_append.py).
Then `vstation sync` runs as its own process against a local mosquitto and
a district stand-in that acks every pack; this script samples the process's
VmHWM (peak RSS) from /proc and waits until the district has every seq and
the outbox is empty. Budget (docs/architecture.md, Budgets): no loss, peak RSS under 100 MB.
Run: .venv/bin/python bench/sync_backlog.py [events]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import setting
from sync_drain import Counter, outbox_depth, start_sync  # (puts tests/ on sys.path: the mosquitto helper)

from kiosk import config
from kiosk.base import store
from mosquitto import Broker, station_config


def bulk_fill(db: Path, count: int) -> None:
    """`count` ticket events in one transaction, as a week of business would leave them."""
    conn = store.open_store(db)
    conn.execute("PRAGMA cache_size = -262144")          # 256 MB for the setup: the id index is random
    rows = ((str(uuid.uuid4()), "ticket.issued", "2026-11-15T08:30:00.000+00:00",
             '{"ticket_id":"%s","service":"consult","number":"A%03d","priority":false}' % (uuid.uuid4(), i % 1000))
            for i in range(count))
    with store.transaction(conn):
        conn.executemany("INSERT INTO events (id, type, ts, data) VALUES (?, ?, ?, ?)", rows)
    conn.close()


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker").start()
        path = station_config(Path(tmp) / "station", broker)
        db = config.load(path).database_path
        t0 = time.perf_counter()
        bulk_fill(db, count)
        fill_s = time.perf_counter() - t0
        district = Counter(broker, "vstation/v1/+/events", ack=True)
        district.target = count
        peak = {"VmHWM": 0, "VmRSS": 0}
        t0 = time.perf_counter()
        sync = start_sync(path)
        pause = threading.Event()
        try:
            while not district.done.is_set() and sync.poll() is None:
                peak = memory_kb(sync.pid)
                pause.wait(0.5)
            received_s = time.perf_counter() - t0
            while outbox_depth(db):
                pause.wait(0.1)
            forgotten_s = time.perf_counter() - t0
            peak = memory_kb(sync.pid)
        finally:
            sync.terminate()
            sync.wait(10)
            district.close()
            broker.stop()
    print(f"sync process {setting()}")
    print(f"backlog of {count:,} events (bulk insert {fill_s:.1f} s), drained through a local mosquitto")
    print(f"every seq 1..{district.upto:,} received ({district.copies - district.upto} re-sent) in {received_s:.1f} s "
          f"({district.upto / received_s:,.0f} events/s, process start included); outbox empty after "
          f"{forgotten_s:.1f} s")
    print(f"sync process peak RSS (VmHWM): {peak['VmHWM'] / 1024:.1f} MB, RSS at the end {peak['VmRSS'] / 1024:.1f} MB "
          f"(budget < 100 MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
