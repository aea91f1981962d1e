"""Card tap latency: RDM6300 frame written on a pty → check-in committed → notice on the SSE stream.

The kiosk runs as its own process (`vstation kiosk`) with an `rdm6300` reader on
a pty; this script imports a roster of members, writes one frame per member
into the other end and times each until the check-in notice arrives on
/events. Each check-in commits the visit and its `member.checked_in` event
(BEGIN IMMEDIATE, synchronous=FULL) before the push. Unknown cards commit a
`card.unknown` event. A UID counts only after two identical frames (a card
held on the reader repeats its frame), so the script writes each frame twice.
A pty has no baud rate: on a real RDM6300 at 9600 baud the two 14-byte frames
take 29.2 ms on the wire before any of this starts.
Budget (docs/architecture.md, Budgets): p99 under 50 ms, tap to check-in committed and pushed.
Run: .venv/bin/python bench/card_tap.py [taps]
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import demo_station, setting, start_kiosk, summary

from drivers.card_frames import rdm6300_frame
from kiosk import config
from kiosk.members import roster
from kiosk.base import store

WIRE_MS = 2 * 14 * 10 / 9600 * 1000     # two 14-byte frames, 8N1, at 9600 baud


def sse_events(port: int):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/events")
    response = conn.getresponse()
    while True:
        line = response.readline()
        if line.startswith(b"event: "):
            yield line[7:].strip().decode()


def enrol(config_path: Path, count: int) -> list[str]:
    """Add `count` members with cards to the station; return their card UIDs."""
    uids = [f"BE{i:08X}" for i in range(count)]
    text = "member_id,card_uid,name,role\n" + "".join(f"B{i},{uid},成员{i},member\n" for i, uid in enumerate(uids))
    conn = store.open_store(config.load(config_path).database_path)
    report = roster.import_csv(conn, text, new_member_points=10)
    conn.close()
    assert report.added == count and not report.rejected
    return uids


def measure(master: int, events, uids: list[str]) -> list[float]:
    times = []
    for n, uid in enumerate(uids):
        frame = rdm6300_frame(uid) * 2          # a card on the reader repeats its frame; the second counts
        t0 = time.perf_counter()
        os.write(master, frame)
        try:
            assert next(events) == "card"
        except TimeoutError:
            raise SystemExit(f"no notice for tap {n} ({uid}) within 10 s") from None
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.03)
    return times


def main(taps: int) -> None:
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as tmp:
        config_path, port = demo_station(Path(tmp), replace={
            '[card_reader]\nkind = "sim"':
            f'[card_reader]\nkind = "rdm6300"\ndevice = "{os.ttyname(slave)}"\ndebounce_seconds = 0.1'})
        members = enrol(config_path, taps + 20)
        proc, _ = start_kiosk(config_path, port)
        try:
            events = sse_events(port)
            time.sleep(0.5)  # the reader thread has opened the pty
            measure(master, events, members[:20])          # warm-up
            t_checkin = measure(master, events, members[20:])
            t_unknown = measure(master, events, [f"77{i:08X}" for i in range(taps)])
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"card tap, kiosk process {setting()}")
    print(f"card tap → check-in committed → SSE: {summary(t_checkin)}")
    print(f"card tap → card.unknown committed → SSE: {summary(t_unknown)}")
    print(f"plus the two frames' own wire time at 9600 baud: {WIRE_MS:.1f} ms "
          f"(p99 with it: {sorted(t_checkin)[int(0.99 * (len(t_checkin) - 1))] + WIRE_MS:.1f} ms)")
    print("budget: p99 under 50 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
