"""Redemptions per second with full durability (BEGIN IMMEDIATE, synchronous=FULL), one and two processes.

Each redemption checks balance, stock and limits, writes the redemption, its
items, a stock move, a ledger entry and two events (points.entry,
redemption.made) in one transaction. Two processes compete for the write lock
as two staff at one station (or kiosk + a command) would.
Run: .venv/bin/python bench/redeem.py [redemptions per process]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, measured, setting, summary

from kiosk.members import roster
from kiosk.base import store
from kiosk.shop.supermarket import Shop

WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
from kiosk.base import store
from kiosk.shop.supermarket import Shop
conn = store.open_store(sys.argv[1])
shop = Shop("Asia/Shanghai")
times = []
for i in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    shop.redeem(conn, "RICH", [("soap", 1)], staff_id="S1", key=f"{sys.argv[3]}-{i}")
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps(times))
"""


def prepare(db: Path, total: int) -> None:
    conn = store.open_store(db)
    roster.import_csv(conn, f"member_id,card_uid,name,role,grid,balance\nRICH,ABCD000100,富余,member,g,9999999\n",
                      new_member_points=10)
    with store.transaction(conn):
        conn.execute("INSERT INTO goods (id, name, price) VALUES ('soap', ?, 5)", (json.dumps({"zh": "洗衣皂"}),))
        conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts) VALUES ('soap', ?, 'bench', '')",
                     (total + 10,))
    conn.close()


def run(db: Path, processes: int, count: int) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(count), f"p{i}", str(ROOT)], **measured(),
                              stdout=subprocess.PIPE, text=True) for i in range(processes)]
    times = [t for p in procs for t in json.loads(p.communicate()[0])]
    return processes * count / (time.perf_counter() - t0), times


def main(count: int) -> None:
    print(f"redemptions, worker processes {setting()}")
    for processes in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "station.db"
            prepare(db, processes * count)
            rate, times = run(db, processes, count)
            conn = store.open_store(db)
            assert conn.execute("SELECT COUNT(*) FROM redemptions").fetchone()[0] == processes * count
            conn.close()
        print(f"{processes} process(es): {rate:,.0f} redemptions/s (incl. start-up); confirm: {summary(times)}")


if __name__ == "__main__":
    _ = Shop  # the workers use it; imported here so a broken module fails before the run
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
