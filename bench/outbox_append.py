"""Outbox throughput on this disk: business transactions with their event, and a drain by packs.

Each append is its own BEGIN IMMEDIATE transaction with synchronous=FULL, as a
real change would be; the drain takes packs of 100 in seq order and forgets
them as if acknowledged. Run: .venv/bin/python bench/outbox_append.py [events]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _common import enter_quota, setting

from kiosk.base import outbox, store


def main(count: int) -> None:
    enter_quota()                       # this process is the one measured
    print(f"outbox, in this process {setting()}")
    with tempfile.TemporaryDirectory() as tmp:
        conn = store.open_store(Path(tmp) / "station.db")
        t0 = time.perf_counter()
        for i in range(count):
            with store.transaction(conn):
                outbox.append(conn, "ticket.issued", {"ticket_id": f"T{i}", "service": "consult", "number": "A001"})
        append_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        drained = 0
        while pack := outbox.take(conn, limit=100):
            drained += len(pack)
            outbox.forget(conn, pack[-1].seq)
        drain_s = time.perf_counter() - t0
    print(f"outbox append, one transaction each: {count / append_s:,.0f} events/s ({count} events)")
    print(f"outbox take+forget in packs of 100:  {drained / drain_s:,.0f} events/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
