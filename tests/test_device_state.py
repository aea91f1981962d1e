"""The kiosk records each device's state for the sync process's telemetry."""

from __future__ import annotations

from kiosk.base import device_state, store
from sync import telemetry
from tests.conftest import print_outcome, wait_until


def _states(station) -> dict[str, str]:
    conn = store.connect(station.config.database_path)
    try:
        return {name: row["state"] for name, row in device_state.read_all(conn).items()}
    finally:
        conn.close()


def test_the_kiosk_records_printer_reader_and_every_locker_on_start(station):
    names = {"printer", "reader"} | {f"locker.{slot}" for slot in station.lockers.slot_ids}
    assert wait_until(lambda: names <= set(_states(station)))
    states = _states(station)
    assert states["printer"] == "ok"
    assert states["reader"] == "ok"
    for slot in station.lockers.slot_ids:    # the slot's word of the telemetry contract: free | in_use | open | fault
        assert states[f"locker.{slot}"] == "free"


def test_a_door_opening_reaches_the_telemetry_at_once(station):
    slot = station.lockers.slot_ids[0]
    station.lockers.sim_open(slot)
    assert wait_until(lambda: _states(station).get(f"locker.{slot}") == "open")
    conn = store.connect(station.config.database_path)
    try:
        reported = telemetry.devices(conn, list(station.lockers.slot_ids), max_age_s=90)
    finally:
        conn.close()
    assert reported["lockers"][slot] == "open"
    assert reported["printer"] == "ok"


def test_a_failed_print_records_the_printer_state(station):
    station.printer.pull_paper()
    taken = station.take_ticket(station.config.services[0].id)
    assert print_outcome(station, taken.issued.ticket.id).fault == "paper_out"
    assert _states(station)["printer"] == "paper_out"
