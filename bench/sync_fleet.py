"""A fleet of stations draining into one local mosquitto: loss, time and the broker's CPU.

Each simulated station is a real sync agent (`run_sync`, its own SQLite
database and outbox, its own paho client and MQTT session) running in a
thread; stations are spread over worker processes (so no one Python
process holds them all). Each starts with `events` unsent events. One
district subscriber (tests/mosquitto.District) receives every station's
`events`, de-duplicates by (station, seq) and acks. Loss = events never
received by the subscriber before the deadline. Broker CPU = user + system
time of the mosquitto process (/proc/<pid>/stat) over the run, in CPU
seconds and as a share of one core.
Run: .venv/bin/python bench/sync_fleet.py [stations ...] [--events N] [--workers W]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT / "tests"))

from mosquitto import Broker, District, station_config  # noqa: E402

from kiosk import config as cfg
from kiosk.base import outbox, store

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def make_station(folder: Path, broker: Broker, station_id: str, events: int) -> Path:
    """A station.toml with its own id and database, and `events` events in its outbox."""
    path = station_config(folder, broker, telemetry_seconds=60)
    text = re.sub(r'(?m)^id = "demo-barkor-01"', f'id = "{station_id}"', path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    conn = store.open_store(cfg.load(path).database_path)
    with store.transaction(conn):
        for i in range(events):
            outbox.append(conn, "ticket.issued", {"ticket_id": f"{station_id}-{i}", "number": f"A{i:03d}"})
    conn.close()
    return path


def worker(paths: list[str], go: "mp.synchronize.Event", stop: "mp.synchronize.Event") -> None:
    """Run one real sync agent per station in threads until told to stop."""
    import logging

    from sync.agent import run_sync

    logging.basicConfig(level=logging.ERROR)
    halt = threading.Event()
    go.wait()
    threads = [threading.Thread(target=run_sync, args=(cfg.load(p),), kwargs={"stop": halt}, daemon=True)
               for p in paths]
    for t in threads:
        t.start()
    stop.wait()
    halt.set()
    for t in threads:
        t.join(20)


def run(stations: int, events: int, workers: int, deadline_s: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker = Broker(folder / "broker")
        with open(broker.conf, "a") as f:
            f.write("max_connections -1\nmax_queued_messages 100000\nmax_inflight_messages 100\n")
        broker.start()
        district = District(broker)
        ids = [f"fleet-{i:04d}" for i in range(stations)]
        paths = [str(make_station(folder / s, broker, s, events)) for s in ids]
        go, stop = mp.Event(), mp.Event()
        procs = [mp.Process(target=worker, args=(paths[w::workers], go, stop)) for w in range(workers)]
        for p in procs:
            p.start()
        time.sleep(1.0)                                   # workers imported and waiting
        cpu0, t0 = cpu_s(broker.proc.pid), time.perf_counter()
        go.set()
        want = stations * events
        while time.perf_counter() - t0 < deadline_s:
            with district.lock:
                got = sum(len(v) for v in district._seqs.values())
            if got >= want:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        cpu = cpu_s(broker.proc.pid) - cpu0
        with district.lock:
            got = sum(len(v) for v in district._seqs.values())
            copies = len(district.arrivals)
            online = len({s for s, p, _ in district.status if p.get("online")})
        stop.set()
        for p in procs:
            p.join(60)
        district.close()
        broker.stop()
    return {"stations": stations, "online": online, "events": want, "received": got, "lost": want - got,
            "copies": copies, "seconds": elapsed, "broker_cpu_s": cpu, "broker_core_share": cpu / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stations", nargs="*", type=int, default=[100, 1000])
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--deadline", type=float, default=180.0)
    args = ap.parse_args()
    for n in args.stations:
        r = run(n, args.events, args.workers, args.deadline)
        print(f"{r['stations']:5d} stations ({r['online']} came online), {r['events']:,} events: "
              f"received {r['received']:,} (lost {r['lost']:,}, copies incl. re-sends {r['copies']:,}) "
              f"in {r['seconds']:.1f} s; broker CPU {r['broker_cpu_s']:.1f} s "
              f"({100 * r['broker_core_share']:.0f}% of one core)", flush=True)


if __name__ == "__main__":
    main()
