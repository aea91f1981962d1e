"""Kiosk process: time to ready and memory (budget: under 5 s, under 80 MB RSS).

Starts `vstation kiosk` on the simulated demo station five times, measures the
time until /api/v1/health answers, then the RSS after 100 page loads.
Run: .venv/bin/python bench/kiosk_startup.py
"""

from __future__ import annotations

import tempfile
import urllib.request
from pathlib import Path

from _common import demo_station, rss_mb, setting, start_kiosk


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config_path, port = demo_station(Path(tmp))
        ready, rss = [], []
        for _ in range(5):
            proc, seconds = start_kiosk(config_path, port)
            try:                # a page that fails must not leave the kiosk running
                for page in ("/", "/guide", "/checkin", "/api/v1/health", "/lockers/") * 20:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}") as response:
                        response.read()
                ready.append(seconds)
                rss.append(rss_mb(proc.pid))
            finally:
                proc.terminate()
                proc.wait(10)
        print(f"kiosk process {setting()}")
        print(f"kiosk ready: min {min(ready):.2f} s, max {max(ready):.2f} s (budget 5 s)")
        print(f"kiosk RSS after 100 pages: min {min(rss):.1f} MB, max {max(rss):.1f} MB (budget 80 MB)")


if __name__ == "__main__":
    main()
