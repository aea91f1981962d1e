"""Shared bits of the benchmarks: a demo station folder, a kiosk process, percentiles."""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_station(folder: Path, *, replace: dict[str, str] | None = None) -> tuple[Path, int]:
    """A seeded demo station in `folder` on a free port; `replace` edits its station.toml."""
    path = demo.write_config(folder)
    port = free_port()
    text = path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
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
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
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
