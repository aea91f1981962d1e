"""A kiosk killed (-9) between door-open and door-shut: the next kiosk resolves the operation on start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, wait_until
from gpiozero.pins.mock import MockFactory
from locker_rig import Hand, events, locker_config, make_station, refused

from kiosk import config as cfg
from kiosk.base.clock import utc_now
from kiosk.lockers.machine import SlotState

HOLDER = """
import sys, time
sys.path.insert(0, "tests")
from gpiozero.pins.mock import MockFactory
from kiosk import config as cfg
from kiosk.base.clock import utc_now
from locker_rig import Hand, locker_config, make_station
from kiosk.base.clock import utc_now
factory = MockFactory()
st = make_station(locker_config(cfg.load(sys.argv[1]), open_timeout_seconds=float(sys.argv[3])), factory,
                  clock=utc_now)
started = st.locker_action("borrow", "0A1B2C3D4E")
if sys.argv[2] == "open":
    Hand(factory).open(started.slot_id)
    while st.locker_core.status(st.db(), started.op_id).phase != "open":
        time.sleep(0.01)
print(started.slot_id, started.op_id, flush=True)
time.sleep(600)
"""


def hold_and_kill(config_path: Path, stage: str, open_timeout: float = 5) -> tuple[str, str]:
    """Run a kiosk that starts a borrow (door opened, or not yet) and kill -9 it there."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(config_path), stage, str(open_timeout)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        slot, op_id = proc.stdout.readline().split()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    return slot, op_id


def restart(config_path: Path, *, door_open: bool, umbrella_there: bool, open_timeout: float = 5):
    """A new kiosk on the same database; the pins read as the doors physically are now."""
    factory = MockFactory()
    hand = Hand(factory)
    st = make_station(locker_config(cfg.load(config_path), open_timeout_seconds=open_timeout), factory,
                      seed=False, start=False, clock=utc_now)
    for slot in ("U1", "U2", "C1", "C2"):
        hand.shut(slot)
        hand.put(slot) if slot == "U2" else hand.take(slot)
    if door_open:
        hand.open("U1")
    if umbrella_there:
        hand.put("U1")
    st.start()
    return st, hand


def test_killed_after_the_door_opened_and_shut_meanwhile_the_loan_starts_on_start(config_path):
    slot, op_id = hold_and_kill(config_path, "open")
    assert slot == "U1"
    st, _ = restart(config_path, door_open=False, umbrella_there=False)
    try:
        assert st.locker_core.status(st.db(), op_id).phase == "done"
        [(_, loan)] = events(st, "loan.started")
        assert loan["member_id"] == "M001" and loan["slot"] == "U1"
        assert [d["op_id"] for _, d in events(st, "locker.opened")] == [op_id]     # once, from before the kill
        assert refused(st.locker_action, "borrow", "0A1B2C3D4E") == "already_borrowed"
    finally:
        st.stop()


def test_killed_with_the_door_still_open_the_new_kiosk_finishes_when_it_shuts(config_path):
    _, op_id = hold_and_kill(config_path, "open")
    st, hand = restart(config_path, door_open=True, umbrella_there=False)
    try:
        assert st.locker_core.status(st.db(), op_id).phase == "open"
        assert events(st, "loan.started") == []
        hand.shut("U1")
        assert wait_until(lambda: st.locker_core.status(st.db(), op_id).phase == "done")
        assert len(events(st, "loan.started")) == 1
    finally:
        st.stop()


def test_killed_before_the_door_opened_nothing_is_lent(config_path):
    _, op_id = hold_and_kill(config_path, "reserved", open_timeout=2)
    st, _ = restart(config_path, door_open=False, umbrella_there=True, open_timeout=2)
    try:
        assert wait_until(lambda: st.locker_core.status(st.db(), op_id).phase == "not_opened", timeout=5)
        assert events(st, "loan.started") == []
        view = {v.id: v for v in st.locker_core.overview(st.db())}["U1"]
        assert view.state == SlotState.FREE and view.stocked
    finally:
        st.stop()
