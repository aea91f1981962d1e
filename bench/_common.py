"""Shared bits of the benchmarks: a demo station folder, a kiosk process, percentiles, the Pi-class quota.

With `VSTATION_PI=pi4` (or `zero2w`) in the environment, the processes a
benchmark measures run under a CPU quota that stands in for a Raspberry Pi:
a cgroup v1 group under /sys/fs/cgroup/cpu/ with `cpu.cfs_period_us` 10000
and `cpu.cfs_quota_us` 3000 (one core at 30 % of this machine: a Pi 4) or
1200 (12 %: a Pi Zero 2 W), pinned to CPU 0 (`taskset -c 0`). The short
period matters: with the default 100 ms the throttling itself adds pauses of
up to 70 ms. The group's weight (`cpu.shares`) is the largest, so on this
machine shared with other work the quota, not their load, is the limit; the
benchmark's own side (printer rig, client, broker) runs on CPU 1, also at
full weight. It is a stand-in, not a Pi: the cores, caches, memory and
storage of a real Pi are not modelled, only its share of CPU time.
`make bench-pi` (bench/pi.py) runs every benchmark both ways.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk import demo
from kiosk.base import store


CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 10_000
#: Share of one core of this machine that stands in for each Pi.
PI_QUOTAS = {"pi4": 30, "zero2w": 12}
PI_NAMES = {"pi4": "Pi 4", "zero2w": "Pi Zero 2 W"}


def pi_class() -> str | None:
    """The Pi stood in for (VSTATION_PI), or None to measure on this machine as it is."""
    name = os.environ.get("VSTATION_PI") or None
    if name is not None and name not in PI_QUOTAS:
        raise SystemExit(f"VSTATION_PI={name!r}: expected one of {', '.join(PI_QUOTAS)}")
    return name


#: cgroup v1's largest weight: on a machine shared with other work, the quota (not their load) is the limit.
SHARES = 262144


def pi_group(name: str) -> Path:
    """Create (or reuse) the cgroup v1 CPU group for `name` ("world": no quota), with period, quota, weight."""
    group = CGROUP_CPU / f"vstation-{name}"
    try:
        group.mkdir(exist_ok=True)
        (group / "cpu.shares").write_text(str(SHARES))
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        quota = PERIOD_US * PI_QUOTAS[name] // 100 if name in PI_QUOTAS else -1
        (group / "cpu.cfs_quota_us").write_text(str(quota))
    except OSError as exc:
        raise SystemExit(f"cannot set up the CPU quota in {group} ({exc}): needs root and cgroup v1's cpu "
                         "controller mounted at /sys/fs/cgroup/cpu") from None
    return group


def enter_quota(pid: int = 0) -> None:
    """Put process `pid` (0: this one) under the Pi-class quota, if one is asked for; its threads follow."""
    name = pi_class()
    if name is None:
        return
    group = pi_group(name)
    (group / "cgroup.procs").write_text(str(pid or os.getpid()))
    os.sched_setaffinity(pid, {0})


def enter_world() -> None:
    """Under a quota run, the benchmark's own side (printer rig, HTTP client, broker, district stand-in)
    runs on CPU 1 at full weight, so the loaded machine disturbs the figures as little as it can."""
    if pi_class() is None:
        return
    (pi_group("world") / "cgroup.procs").write_text(str(os.getpid()))
    os.sched_setaffinity(0, {1} if os.cpu_count() and os.cpu_count() > 1 else {0})


def measured(**popen: object) -> dict[str, object]:
    """Keyword arguments for subprocess.Popen that start the child under the quota (if any)."""
    return {**popen, "preexec_fn": enter_quota} if pi_class() else popen


def setting() -> str:
    """Where the figures come from, for the top of each benchmark's output."""
    name = pi_class()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    if name is None:
        return f"on this machine ({os.cpu_count()} cores, no quota; load average {load})"
    return (f"under the {PI_NAMES[name]} stand-in: one core at {PI_QUOTAS[name]} % (cgroup v1 cpu.cfs_quota_us "
            f"{PERIOD_US * PI_QUOTAS[name] // 100}/{PERIOD_US}, taskset -c 0), not a real Pi; load average {load}")


enter_world()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CALENDAR_TABLES = ("queue.week", "queue.exceptions", "services.week", "services.exceptions")


def without_calendar(text: str) -> str:
    """The demo's station.toml less its opening hours (as tests/conftest.py does): benchmarks run at night too."""
    kept, table = [], ""
    for line in text.splitlines(keepends=True):
        header = re.fullmatch(r"\[\[?([a-z_.]+)\]\]?\s*(#.*)?", line.strip())
        table = header[1] if header else table
        if table in CALENDAR_TABLES or (table in ("queue", "services") and line.startswith("hours =")):
            continue
        kept.append(line)
    return "".join(kept)


def demo_station(folder: Path, *, replace: dict[str, str] | None = None) -> tuple[Path, int]:
    """A seeded demo station in `folder` on a free port; `replace` edits its station.toml."""
    path = demo.write_config(folder)
    port = free_port()
    text = path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    # its staff console on a free loopback port: another station on this machine may hold 8443
    text = text.replace('listen = "0.0.0.0:8443"', f'listen = "127.0.0.1:{free_port()}"')
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(without_calendar(text), encoding="utf-8")
    from kiosk import config
    conn = store.open_store(config.load(path).database_path)
    demo.seed(conn)
    conn.close()
    return path, port


def start_kiosk(config_path: Path, port: int) -> tuple[subprocess.Popen, float]:
    """Start `vstation kiosk`; return the process and seconds until /api/v1/health answered."""
    log = open(config_path.parent / "kiosk.log", "w+b")   # a pipe nobody reads would fill and stall the kiosk
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "kiosk"],
                            **measured(cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(log.read().decode())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1):
                return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.01)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> str:
    return (f"n={len(values_ms)} p50={percentile(values_ms, 50):.1f} ms p99={percentile(values_ms, 99):.1f} ms "
            f"max={max(values_ms):.1f} ms mean={statistics.mean(values_ms):.1f} ms")
