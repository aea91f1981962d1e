"""`make bench-pi`: every benchmark again under the Pi 4 and the Pi Zero 2 W stand-ins.

Each benchmark runs with VSTATION_PI=pi4, then VSTATION_PI=zero2w
(bench/_common.py): the processes it measures go into a cgroup v1 CPU group
with a 10 ms period and a 30 % or 12 % quota of one core, pinned to CPU 0.
The quota stands in for a Pi's CPU share; it is not a Pi (no slower memory,
no SD card, no thermal throttling). Needs root for /sys/fs/cgroup/cpu.
Sizes are smaller than the full runs so that the Zero 2 W column finishes in
minutes; each line says what it ran. sync_fleet.py is left out: it simulates
a hundred stations on this machine, which no Pi does.
Run: sudo .venv/bin/python bench/pi.py [pi4|zero2w ...] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import PI_NAMES, pi_group

HERE = Path(__file__).resolve().parent
#: Each benchmark and the arguments it runs with under the quota.
RUNS = [
    ("card_tap.py", ["300"]),
    ("ticket_print.py", ["100", "5"]),
    ("kiosk_startup.py", []),
    ("outbox_append.py", ["2000"]),
    ("redeem.py", ["500"]),
    ("help_requests.py", ["200"]),
    ("sync_drain.py", ["10000"]),
    ("sync_backlog.py", ["100000"]),
    ("station_memory.py", []),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pis", nargs="*", metavar="{pi4,zero2w,here}",
                        help="stand-ins to run (default: pi4 zero2w); here: this machine, no quota, same sizes")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark file names (default: all)")
    args = parser.parse_args()
    unknown = set(args.pis) - {*PI_NAMES, "here"}
    if unknown:
        parser.error(f"unknown stand-in(s) {', '.join(sorted(unknown))}: expected pi4, zero2w or here")
    failed = 0
    for pi in args.pis or list(PI_NAMES):
        if pi != "here":
            pi_group(pi)                 # fails early and clearly without root or cgroup v1
        for script, extra in RUNS:
            if args.only and script not in args.only:
                continue
            where = "this machine" if pi == "here" else f"{PI_NAMES[pi]} stand-in"
            print(f"\n=== {script} {' '.join(extra)} · {where} ===", flush=True)
            t0 = time.monotonic()
            env = {k: v for k, v in os.environ.items() if k != "VSTATION_PI"}
            code = subprocess.call([sys.executable, str(HERE / script), *extra],
                                   env=env if pi == "here" else {**env, "VSTATION_PI": pi})
            print(f"--- {script}: exit {code} after {time.monotonic() - t0:.0f} s", flush=True)
            failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
