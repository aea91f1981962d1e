"""The board's alerts, as district staff would read them: offline too long, paper out, a locker fault, a backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hub import district_toml

from district import board
from district import settings as district_settings
from district.db.engine import reading, writing
from district.db.schema import health, stations
from district.hub import open_database
from kiosk.base.clock import utc_now

NOW = utc_now()


@pytest.fixture
def engine(tmp_path):
    settings = district_settings.load(district_toml(tmp_path, 1883, None, alerts={"offline_minutes": 10,
                                                                                  "backlog_minutes": 60}))
    e = open_database(settings)
    e.limits = settings.alerts
    yield e
    e.dispose()


def station(engine, sid: str, *, online: bool, changed_min: float | None, added_min: float = 600,
            **health_values) -> None:
    with writing(engine) as conn:
        conn.execute(stations.insert().values(
            id=sid, name=sid, command_key="k" * 64, added_at=NOW - timedelta(minutes=added_min), online=online,
            online_changed_at=None if changed_min is None else NOW - timedelta(minutes=changed_min),
            last_seen_at=None if changed_min is None else NOW, sessions_missed=0))
        if health_values:
            values = {"received_at": NOW, "printer": "ok", "lockers": {}, "locker_faults": 0, "payload": {},
                      **health_values}
            conn.execute(health.insert().values(station_id=sid, **values))


def alerts(engine) -> dict[str, list[str]]:
    with reading(engine) as conn:
        return {row.id: [a.kind for a in row.alerts] for row in board.rows(conn, NOW, engine.limits)}


def test_each_cause_raises_its_alert_and_only_then(engine):
    station(engine, "ok-01", online=True, changed_min=500, printer="ok", outbox_oldest_age_s=30.0)
    station(engine, "briefly-off-02", online=False, changed_min=3)
    station(engine, "long-off-03", online=False, changed_min=45)
    station(engine, "never-04", online=False, changed_min=None, added_min=30)
    station(engine, "new-05", online=False, changed_min=None, added_min=2)
    station(engine, "paper-06", online=True, changed_min=100, printer="paper_out",
            printer_since=NOW - timedelta(minutes=4))
    station(engine, "locker-07", online=True, changed_min=100, lockers={"U1": "free", "U2": "fault"},
            locker_faults=1, faults_since=NOW)
    station(engine, "backlog-08", online=True, changed_min=100, outbox_depth=321, outbox_oldest_age_s=2 * 3600.0)
    assert alerts(engine) == {
        "backlog-08": ["backlog"], "locker-07": ["locker_fault"], "long-off-03": ["offline"],
        "never-04": ["offline"], "paper-06": ["paper_out"],
        "briefly-off-02": [], "new-05": [], "ok-01": []}


def test_an_alert_says_since_when_in_the_hubs_time(engine):
    station(engine, "backlog-08", online=True, changed_min=100, outbox_depth=5, outbox_oldest_age_s=7200.0)
    station(engine, "locker-07", online=True, changed_min=100, lockers={"U2": "fault"}, locker_faults=1,
            faults_since=NOW - timedelta(minutes=9))
    with reading(engine) as conn:
        found = {a.station: a for row in board.rows(conn, NOW, engine.limits) for a in row.alerts}
    assert found["backlog-08"].since == NOW - timedelta(hours=2) and found["backlog-08"].detail["depth"] == 5
    assert found["locker-07"].detail == {"slots": ["U2"]} and found["locker-07"].since == NOW - timedelta(minutes=9)
