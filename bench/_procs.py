"""What the benchmarks read about their processes: CPU seconds and peak RSS from /proc.

CPU = user + system time (/proc/<pid>/stat), for PostgreSQL its postmaster
and every backend; RSS = the peak (VmHWM of /proc/<pid>/status).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (PostgreSQL's backends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


@dataclass
class Meter:
    """CPU seconds of the broker, the hub workers, PostgreSQL and this process (the twins)."""
    broker: int
    hubs: list[int]
    postgres: int

    def sample(self) -> dict[str, float]:
        pg = self.postgres
        return {"broker": cpu_s(self.broker), "hubs": sum(cpu_s(p) for p in self.hubs),
                "postgres": cpu_s(pg) + sum(cpu_s(p) for p in children(pg)), "twins": cpu_s(os.getpid())}


def exit_on_sigterm() -> None:
    """SIGTERM (kill, Ctrl-C's cousin) ends the benchmark through its `finally`: the hub workers, brokers and
    PostgreSQL it started are stopped, not left running to skew the next run."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
