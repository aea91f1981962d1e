"""A district of 1,000 or 10,000 stations on one mosquitto: light twins, hub workers, one PostgreSQL.

The stations are light station twins (tests/twins/: one selector loop over
their paho clients in this process, each speaking the contract as
`vstation sync` does: birth and will, telemetry, packs in the send window,
re-sends until `events/ack`). The hub is `--workers` real
`vstation district run --no-console` processes sharing the stations'
messages (`mqtt.shared_group`, MQTT 5 `$share/…`), all writing to one
PostgreSQL (Debian's, `fsync=on`). The stations are registered in bulk
(rows in `stations`, one `mosquitto_passwd -U` over their passwords):
setting up is not measured.

Phases, one after the other:
- connect: every station connects within 10 s (births to the hub);
- live: each station takes one ticket (3 events) at a random moment over
  `--live-s` seconds, then a burst: every station `--burst` events at once;
- storm: every connection drops at once (the broker sends the wills) and
  each station reconnects at a random moment within 10 s, writing a ticket;
- backlog: every station offline, writing the events of 10 minutes at a busy
  hour (`--backlog`, default a ticket a minute: 30 events), then all back at
  once: the drain time is from that moment until every event is acknowledged.
Telemetry runs throughout every `--telemetry-s` (a station sends it every
30 s; the speed-up is printed). End-to-end = from the twin writing an
event to the hub's `events/ack` covering it. CPU = user + system time
(/proc/<pid>/stat) as a share of one core; RSS = peak (VmHWM). At the end
every station's events are counted in the database: stored once, lost
(written, never stored), stored twice, and whether seq is contiguous.
The machine has 2 cores shared with other work: the load average is printed.
Run: .venv/bin/python bench/district_fleet.py [stations ...] [--workers 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from _common import ROOT, setting
from _procs import Meter, exit_on_sigterm, peak_rss_mb

sys.path.insert(0, str(ROOT / "tests"))

from hub import Rig  # noqa: E402
from postgres import Postgres  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from twins.fleet import Fleet  # noqa: E402
from twins.station import StationTwin  # noqa: E402

from district.db.engine import reading, writing  # noqa: E402
from district.db.schema import events, stations, telemetry  # noqa: E402
from district.registry.broker_files import PASSWD  # noqa: E402
from kiosk.base.clock import utc_now  # noqa: E402

STATION_TELEMETRY_S = 30.0
# The district's mosquitto as docs/operations.md sets it up (autosave every 60 s, not the test broker's 1 s:
# mosquitto writes its whole database at each save, 12 MB for 10,000 sessions and more with the hub's queue,
# and serves no one meanwhile), with room for thousands of stations' packs queued for the hub.
BROKER_LIMITS = ("autosave_interval 60", "max_connections -1", "max_queued_messages 1000000",
                 "max_inflight_messages 100")


class Resends(logging.Handler):
    """Counts the twins' re-sends: no acknowledgement within the ack timeout (sync/drain.py warns)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("no acknowledgement from the district"):
            self.count += 1


RESENDS = Resends()
logging.getLogger("sync.drain").addHandler(RESENDS)
logging.getLogger("sync.drain").propagate = False


@dataclass
class Phase:
    name: str
    seconds: float
    events: int
    ages: list[float]
    cpu: dict[str, float]
    note: str = ""
    resends: int = 0


@dataclass
class District:
    rig: Rig
    postgres: Postgres
    workers: list[subprocess.Popen] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)


def register(rig: Rig, names: list[str]) -> dict[str, str]:
    """Every station in the hub's table and the broker's password_file, in bulk; their passwords."""
    passwords = {name: secrets.token_urlsafe(24) for name in names}
    plain = rig.folder / "stations.passwd"
    plain.write_text("".join(f"{n}:{p}\n" for n, p in passwords.items()))
    subprocess.run([PASSWD, "-U", str(plain)], check=True, capture_output=True)
    with open(rig.settings.registry.passwd_file, "a") as f:
        f.write(plain.read_text())
    plain.unlink()
    now = utc_now()
    with writing(rig.engine) as conn:
        conn.execute(stations.insert(), [{"id": n, "name": n, "command_key": secrets.token_hex(32), "added_at": now,
                                          "online": False, "sessions_missed": 0} for n in names])
    rig.broker.reload()
    return passwords


def start_workers(rig: Rig, count: int, mqtt: Callable[[int], str] | None = None) -> list[subprocess.Popen]:
    """`count` hub processes, each its own client id; `mqtt(i)`: worker i's [mqtt] lines before username
    (default: the rig's mosquitto, all workers in one shared group)."""
    base = rig.config_path.read_text(encoding="utf-8")
    head = f'[mqtt]\nhost = "{rig.broker.host}"\nport = {rig.broker.port}\n'
    assert head in base, base
    procs = []
    for i in range(1, count + 1):
        lines = mqtt(i) if mqtt else (f'host = "{rig.broker.host}"\nport = {rig.broker.port}\n'
                                      f'client_id = "hub-{i}"\nshared_group = "hub"\n')
        path = rig.folder / f"district-{i}.toml"
        path.write_text(base.replace(head, "[mqtt]\n" + lines, 1))
        procs.append(spawn_worker(rig, i))
    return procs


def spawn_worker(rig: Rig, i: int) -> subprocess.Popen:
    """Hub worker i (`vstation district run --no-console` on district-i.toml), its log beside it."""
    log = open(rig.folder / f"hub-{i}.log", "a", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "kiosk", "district", "--config", str(rig.folder / f"district-{i}.toml"),
                             "run", "--no-console"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """SIGTERM, and SIGKILL for a worker still busy after 20 s."""
    for w in workers:
        w.terminate()
    for w in workers:
        try:
            w.wait(20)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(10)


def online_at_hub(rig: Rig) -> int:
    with reading(rig.engine) as conn:
        return conn.execute(select(func.count()).select_from(stations).where(stations.c.online.is_(True))).scalar()


def wait(what: str, done, timeout: float) -> float:
    """Poll `done()` every 0.2 s; the seconds it took (raises after `timeout`)."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - start


def all_acked(fleet: Fleet) -> bool:
    return fleet.call(lambda f: all(t.drain.acked >= t.backlog.last_seq() for t in f.twins))


def take_ages(fleet: Fleet) -> list[float]:
    def take(f: Fleet) -> list[float]:
        ages = [a for t in f.twins for a in t.figures.ages]
        for t in f.twins:
            t.figures.ages = []
        return ages
    return fleet.call(take)


def written(fleet: Fleet) -> int:
    return fleet.call(lambda f: sum(t.backlog.last_seq() for t in f.twins))


def spread(fleet: Fleet, seconds: float, act) -> None:
    """`act(twin)` for every twin at a random moment within `seconds`, in the fleet's thread."""
    at = sorted((random.uniform(0, seconds), i) for i in range(len(fleet.twins)))
    start = time.monotonic()
    for j in range(0, len(at), 50):
        chunk = at[j:j + 50]
        time.sleep(max(0.0, start + chunk[0][0] - time.monotonic()))
        fleet.call(lambda f, chunk=chunk: [act(f.twins[i]) for _, i in chunk])


def measured(name: str, meter: Meter, fleet: Fleet, body, timeout: float) -> Phase:
    """Run `body()` (its note), then wait until every event written so far is acknowledged."""
    cpu0, events0, start, resends0 = meter.sample(), written(fleet), time.monotonic(), RESENDS.count
    note = body() or ""
    wait(f"{name}: every event acknowledged", lambda: all_acked(fleet), timeout)
    seconds = time.monotonic() - start
    cpu1 = meter.sample()
    return Phase(name, seconds, written(fleet) - events0, take_ages(fleet),
                 {k: (cpu1[k] - cpu0[k]) / seconds for k in cpu0}, note, RESENDS.count - resends0)


def connect_phase(d: District, fleet: Fleet, n: int, timeout: float):
    def body() -> str:
        spread(fleet, 10.0, lambda t: t.connect())
        took = wait("connect", lambda: fleet.call(lambda f: all(t.connected for t in f.twins)), timeout)
        at_hub = wait("births at the hub", lambda: online_at_hub(d.rig) == n, timeout)
        return f"all connected {took:.1f} s after the last attempt, all online at the hub {at_hub:.1f} s later"
    return body


def live_phase(fleet: Fleet, live_s: float, burst: int):
    def body() -> str:
        spread(fleet, live_s, lambda t: t.write(3, t.backlog.last_seq()))
        fleet.call(lambda f: [t.write(burst, t.backlog.last_seq()) for t in f.twins])
        return f"a ticket each over {live_s:.0f} s, then a burst of {burst} events each at once"
    return body


def storm_phase(d: District, fleet: Fleet, n: int, timeout: float):
    def body() -> str:
        sessions = fleet.call(lambda f: [t.session for t in f.twins])

        def drop_all(f: Fleet) -> None:
            now = time.monotonic()
            for t in f.twins:
                t.go_offline(now + random.uniform(0, 10))
                t.write(3, t.backlog.last_seq())
        fleet.call(drop_all)
        took = wait("reconnect storm", lambda: fleet.call(
            lambda f: all(t.connected and t.session > s for t, s in zip(f.twins, sessions))), timeout)
        try:
            at_hub = wait("births at the hub", lambda: online_at_hub(d.rig) == n, 60)
        except RuntimeError:
            return f"all reconnected in {took:.1f} s; the hub shows only {online_at_hub(d.rig)} of {n} online"
        return f"all reconnected in {took:.1f} s (each within 10 s of the drop), all online at the hub {at_hub:.1f} s later"
    return body


def backlog_phase(fleet: Fleet, backlog: int):
    def body() -> str:
        fleet.call(lambda f: [t.go_offline(float("inf")) for t in f.twins])
        wait("offline", lambda: fleet.call(lambda f: not any(t.connected for t in f.twins)), 120)
        fleet.call(lambda f: [t.write(backlog, t.backlog.last_seq()) for t in f.twins])
        now = time.monotonic()
        fleet.call(lambda f: [t.back_online(now) for t in f.twins])
        return f"{backlog} events each written offline, every station back at once"
    return body


def settle_online(d: District, n: int, timeout: float = 120.0) -> tuple[int, float]:
    """After the last phase every station is connected: how many the hub shows online, and how long until
    all of them were (or `timeout`). A will applied after the next birth would leave a station offline."""
    start = time.monotonic()
    while online_at_hub(d.rig) < n and time.monotonic() - start < timeout:
        time.sleep(0.5)
    return online_at_hub(d.rig), time.monotonic() - start


def check_stored(d: District, fleet: Fleet) -> dict[str, int]:
    """Every station's events in the database against what it wrote: stored once, lost, twice, gaps."""
    wrote = fleet.call(lambda f: {t.station: t.backlog.last_seq() for t in f.twins})
    with reading(d.rig.engine) as conn:
        rows = conn.execute(select(events.c.station_id, func.count(), func.count(events.c.seq.distinct()),
                                   func.min(events.c.seq), func.max(events.c.seq))
                            .group_by(events.c.station_id)).all()
    got = {r[0]: r[1:] for r in rows}
    once = sum(min(got.get(s, (0, 0))[1], w) for s, w in wrote.items())
    twice = sum(count - distinct for count, distinct, _, _ in got.values())
    gaps = sum(1 for s, w in wrote.items() if got.get(s) and not (got[s][2] == 1 and got[s][3] == got[s][1] == w))
    with reading(d.rig.engine) as conn:
        stored_telemetry = conn.execute(select(func.count()).select_from(telemetry)).scalar()
    return {"telemetry": stored_telemetry, "sent": sum(wrote.values()), "once": once, "lost": sum(wrote.values()) - once, "twice": twice,
            "not_contiguous": gaps + sum(1 for s, w in wrote.items() if w and s not in got)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def make_fleet(d: District, names: list[str], telemetry_s: float) -> Fleet:
    """One twin per station, each from its own loopback address (10,000 connections, ports to spare)."""
    fleet = Fleet()
    host = [(d.rig.broker.host, d.rig.broker.port)]
    for i, name in enumerate(names):
        fleet.add(StationTwin(name, d.passwords[name], hosts=host, telemetry_s=telemetry_s,
                              bind_address=f"127.2.{i // 250}.{i % 250 + 1}"))
    return fleet.start()


def run(n: int, args: argparse.Namespace) -> tuple[list[Phase], dict[str, float], dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix=f"district-fleet-{n}-"))
    postgres = Postgres().start()
    rig = Rig(folder, postgres.create_database(), broker_extra=BROKER_LIMITS, ingest={"replay_after_s": 30})
    d = District(rig, postgres)
    fleet = None
    try:
        names = [f"fleet-{i:05d}" for i in range(n)]
        d.passwords = register(rig, names)
        d.workers = start_workers(rig, args.workers)
        wait("hub workers subscribed", lambda: "connected as hub-" in "".join(
            (folder / f"hub-{i}.log").read_text() for i in range(1, args.workers + 1)), 60)
        fleet = make_fleet(d, names, args.telemetry_s)
        pg = int((postgres.data / "postmaster.pid").read_text().split()[0])
        meter = Meter(rig.broker.proc.pid, [w.pid for w in d.workers], pg)
        timeout = args.timeout
        phases = [measured("connect", meter, fleet, connect_phase(d, fleet, n, timeout), timeout),
                  measured("live", meter, fleet, live_phase(fleet, args.live_s, args.burst), timeout),
                  measured("storm", meter, fleet, storm_phase(d, fleet, n, timeout), timeout),
                  measured("backlog", meter, fleet, backlog_phase(fleet, args.backlog), timeout)]
        counts = check_stored(d, fleet)
        counts["online"], counts["online_after_s"] = settle_online(d, n)
        rss = {"broker": peak_rss_mb(rig.broker.proc.pid), "hubs": max(peak_rss_mb(w.pid) for w in d.workers),
               "twins": peak_rss_mb(os.getpid())}
        return phases, counts, rss
    finally:
        if fleet:
            fleet.stop()
        stop_workers(d.workers)
        rig.close()
        postgres.close()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(n: int, args: argparse.Namespace, phases: list[Phase], counts: dict[str, float],
           rss: dict[str, float]) -> None:
    print(f"\n{n:,} stations, {args.workers} hub workers ($share), one mosquitto, one PostgreSQL; telemetry every "
          f"{args.telemetry_s:g} s ({STATION_TELEMETRY_S / args.telemetry_s:g}× a station's {STATION_TELEMETRY_S:g} s: "
          f"{n / args.telemetry_s:,.0f} messages/s)")
    print(f"{'phase':<8} {'seconds':>8} {'events':>8} {'p50 ms':>8} {'p99 ms':>8} {'broker':>7} {'hubs':>6} "
          f"{'postgres':>8} {'twins':>6} {'re-sends':>8}  (CPU: share of one core)")
    for p in phases:
        print(f"{p.name:<8} {p.seconds:>8.1f} {p.events:>8,} {percentile(p.ages, 0.5):>8.0f} "
              f"{percentile(p.ages, 0.99):>8.0f} {p.cpu['broker']:>7.0%} {p.cpu['hubs']:>6.0%} "
              f"{p.cpu['postgres']:>8.0%} {p.cpu['twins']:>6.0%} {p.resends:>8,}  {p.note}")
    drain = phases[-1]
    print(f"backlog drained in {drain.seconds:.1f} s ({drain.events / drain.seconds:,.0f} events/s)")
    print(f"events sent {counts['sent']:,}; stored once {counts['once']:,}; lost {counts['lost']:,}; "
          f"stored twice {counts['twice']:,}; stations whose seq is not 1..last {counts['not_contiguous']:,}; "
          f"telemetry messages stored {counts['telemetry']:,}")
    print(f"online at the hub after the drain: {counts['online']:,} of {n:,} "
          f"({counts['online_after_s']:.1f} s after the last ack)")
    print(f"peak RSS: mosquitto {rss['broker']:.0f} MB, hub worker {rss['hubs']:.0f} MB (largest), "
          f"twins (this process) {rss['twins']:.0f} MB; {setting()}", flush=True)


def open_files(want: int, need: int) -> int:
    """Raise this process's open-file limit (mosquitto and the hub inherit it) towards `want` if it can
    (a reconnect storm holds a station's old and new socket for a moment); stop below `need`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(want, hard)), hard))
    except (ValueError, OSError):
        pass
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < need:
        raise SystemExit(f"ulimit -n is {soft} (hard {hard}): this run needs {need:,} (as root: ulimit -n {need})")
    return soft


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stations", nargs="*", type=int, default=[1000, 10000])
    p.add_argument("--workers", type=int, default=2, help="hub processes in one shared group")
    p.add_argument("--telemetry-s", type=float, default=None,
                   help="telemetry period of every twin (default 30 s, × stations/1,000 above 1,000)")
    p.add_argument("--live-s", type=float, default=20.0)
    p.add_argument("--burst", type=int, default=30, help="events each station writes at once")
    p.add_argument("--backlog", type=int, default=30, help="events each station writes while offline")
    p.add_argument("--timeout", type=float, default=900.0, help="per phase")
    p.add_argument("--keep", action="store_true", help="keep the folder (hub logs, broker log)")
    args = p.parse_args()
    exit_on_sigterm()
    soft = open_files(3 * max(args.stations) + 1000, max(args.stations) + 200)
    print(f"district fleet; ulimit -n {soft} (mosquitto and this process inherit it); mosquitto: "
          f"{', '.join(BROKER_LIMITS)}; {setting()}")
    for n in args.stations:
        one = argparse.Namespace(**{**vars(args), "telemetry_s": args.telemetry_s or 30.0 * max(1.0, n / 1000)})
        report(n, one, *run(n, one))
    return 0


if __name__ == "__main__":
    sys.exit(main())
