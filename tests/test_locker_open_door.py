"""Staff and the district open a locker door by id: who and why are recorded once."""

from __future__ import annotations

from locker_rig import refused

from kiosk.base import outbox


def test_open_door_fires_the_lock_and_records_who_and_why(station):
    slot = station.lockers.slot_ids[0]
    assert station.open_door(slot, reason="stuck umbrella", by="district") == "opened"
    assert station.lockers.relay_pulses(slot) == 1
    events = [(e.type, e.data) for e in outbox.take(station.db())]
    assert events[-1][0] == "locker.opened"
    assert events[-1][1]["slot"] == slot and events[-1][1]["reason"] == "stuck umbrella"
    assert events[-1][1]["by"] == "district"


def test_open_door_of_an_unknown_slot_changes_nothing(station):
    assert refused(station.open_door, "Z9", reason="test", by="district") == "no_such_slot"
    assert [e.type for e in outbox.take(station.db())] == []
