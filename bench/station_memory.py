"""Whole-station memory: PSS of kiosk + sync + the browser showing the home screen at 800×480.

Starts `vstation run --simulate` (the kiosk process and its sync process),
then each browser configuration in turn pointed at the home screen, waits
until the page holds its live stream open (an established connection to the
kiosk's port: the page loaded and its script ran), lets it settle, and sums
the proportional set size (PSS, /proc/<pid>/smaps_rollup) of every process
of each tree, so memory shared between processes counts once. Browsers run
headless here (no display); on the Pi Chromium runs under cage and cog on
DRM, which adds the compositor and GPU buffers.
Budget (DESIGN.md §5): the whole station under 300 MB PSS in the Zero 2 W configuration.
Run: .venv/bin/python bench/station_memory.py [seconds to settle]
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, demo_station, free_port, measured, setting

SETTLE_S = 10.0
HEADLESS = os.environ.get("VSTATION_HEADLESS", "new")   # Chromium's full browser, headless (not the old shell)
#: Chromium as vstation-browser.service starts it (less the Wayland/kiosk bits a headless run cannot use).
CHROMIUM_UNIT = ["--noerrdialogs", "--disable-infobars", "--no-first-run", "--no-default-browser-check",
                 "--disable-translate", "--disable-features=Translate,TouchpadOverscrollHistoryNavigation",
                 "--autoplay-policy=no-user-gesture-required", "--check-for-update-interval=31536000"]
#: Chromium's switches that cut memory on a one-page kiosk (systemd/vstation-browser-lowmem.conf).
CHROMIUM_LOW = ["--renderer-process-limit=1", "--disable-site-isolation-trials", "--process-per-site",
                "--in-process-gpu", "--disable-gpu", "--disable-software-rasterizer", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-breakpad", "--no-pings", "--mute-audio=false",
                "--disable-features=Translate,TouchpadOverscrollHistoryNavigation,OptimizationHints,MediaRouter,"
                "AutofillServerCommunication,CertificateTransparencyComponentUpdater,site-per-process,"
                "BackForwardCache,SpareRendererForSitePerProcess",
                "--js-flags=--max-old-space-size=48 --optimize-for-size", "--disk-cache-size=1048576",
                "--media-cache-size=1048576", "--aggressive-cache-discard"]


#: cog as systemd/vstation-browser-cog.service starts it (on the headless platform instead of DRM).
COG_UNIT = ["--media-playback-requires-user-gesture=false", "--enable-page-cache=false",
            "--enable-developer-extras=false", "--web-mem-limit=160", "--web-check-interval=10"]
COG_ENV = {"MALLOC_ARENA_MAX": "2", "JSC_useJIT": "false"}


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


PAGE = os.sysconf("SC_PAGE_SIZE")


def frames(pid: int) -> set[int]:
    """The physical page frames process `pid` has mapped (root reads them from /proc/<pid>/pagemap)."""
    found: set[int] = set()
    try:
        maps = Path(f"/proc/{pid}/smaps").read_text().splitlines()
        pagemap = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return found
    try:
        start = end = 0
        for line in maps:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                start, end = (int(x, 16) for x in head.split("-"))
            elif line.startswith("Rss:") and int(line.split()[1]) > 0:
                for offset in range(start // PAGE, end // PAGE, 1 << 16):      # 64 Ki pages a read
                    count = min(1 << 16, end // PAGE - offset)
                    entries = memoryview(os.pread(pagemap, count * 8, offset * 8)).cast("Q")
                    found.update(e & ((1 << 55) - 1) for e in entries if e >> 63)
    except OSError:
        pass
    finally:
        os.close(pagemap)
    return found


def tree_pss_mb(root: int) -> tuple[float, int]:
    pids = tree(root)
    return sum(pss_kb(p) for p in pids) / 1024, len(pids)


def alone_mb(*roots: int) -> float:
    """Memory the trees' pages take counted once each: their PSS on a machine running only them.

    On this shared machine PSS divides a shared page (Chromium's code, Python's) among every
    process that maps it, other engineers' browsers included, which makes a tree look smaller
    than it would be on the Pi; distinct page frames do not depend on who else runs.
    """
    pages: set[int] = set()
    for root in roots:
        for pid in tree(root):
            pages |= frames(pid)
    return len(pages) * PAGE / 2**20


def connections_to(port: int) -> int:
    """Established TCP connections to 127.0.0.1:`port` (a loaded kiosk page holds its event stream open)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":
            count += 1
    return count


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def browsers(url: str, profile: Path) -> dict[str, list[str]]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    base = [chromium, f"--headless={HEADLESS}", "--no-sandbox", "--window-size=800,480", f"--user-data-dir={profile}"]
    found = {
        "Chromium as the unit starts it": base + CHROMIUM_UNIT + [url],
        "Chromium with the memory-cutting switches": base + CHROMIUM_UNIT + CHROMIUM_LOW + [url],
    }
    cog = shutil.which("cog")
    if cog:
        found["WPE WebKit cog, defaults (headless platform)"] = [cog, "--platform=headless", url]
        found["WPE WebKit cog as vstation-browser-cog.service starts it"] = ["env", *(f"{k}={v}" for k, v in
                                                                              COG_ENV.items()),
                                                                         cog, "--platform=headless", *COG_UNIT, url]
    return found


def measure_browser(name: str, argv: list[str], port: int, settle_s: float,
                    station: int) -> tuple[float, int, float, float] | None:
    """The browser tree's PSS and process count, its pages alone, and its pages with the station's."""
    env = {**os.environ, "COG_PLATFORM_HEADLESS_VIEW_WIDTH": "800", "COG_PLATFORM_HEADLESS_VIEW_HEIGHT": "480"}
    proc = subprocess.Popen(argv, **measured(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                             start_new_session=True))
    try:
        if not wait_for(lambda: connections_to(port) >= 1, 240):       # a Zero 2 W quota loads slowly
            print(f"{name}: the page never opened its live stream (did it load?)")
            return None
        time.sleep(settle_s)
        pss, count = max((tree_pss_mb(proc.pid), time.sleep(1))[0] for _ in range(3))
        return pss, count, alone_mb(proc.pid), alone_mb(proc.pid, station)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        wait_for(lambda: connections_to(port) == 0, 10)


def main(settle_s: float) -> None:
    print(f"station memory, kiosk, sync and browsers {setting()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        demo_station(folder)             # the demo's station.toml, its console on a free port
        port = free_port()
        demo = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--simulate", "--port", str(port),
                                 "--data-dir", str(folder)],
                                **measured(cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            url = f"http://127.0.0.1:{port}/"
            import urllib.request
            assert wait_for(lambda: _answers(urllib.request, url + "api/v1/health"), 60), "the demo did not start"
            time.sleep(2)
            station_mb, count = tree_pss_mb(demo.pid)
            print(f"kiosk + sync: {station_mb:.1f} MB PSS here ({count} processes), {alone_mb(demo.pid):.1f} MB "
                  "counting each page once")
            for name, argv in browsers(url, Path(tmp) / "profile").items():
                result = measure_browser(name, argv, port, settle_s, demo.pid)
                if result is None:
                    continue
                browser_mb, count, browser_alone, whole = result
                print(f"{name}: {browser_mb:.1f} MB PSS here ({count} processes), {browser_alone:.1f} MB counting "
                      f"each page once; whole station (kiosk + sync + browser, each page once) {whole:.1f} MB")
        finally:
            demo.terminate()
            demo.wait(20)
    print("budget: whole station < 300 MB PSS (Zero 2 W configuration)")


def _answers(urllib_request, url: str) -> bool:
    try:
        urllib_request.urlopen(url, timeout=1).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else SETTLE_S)
