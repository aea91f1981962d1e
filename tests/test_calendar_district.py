"""The district's calendar over a real mosquitto: it overrides the station's; older or passed ones are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import wait_until
from linked import Linked
from mosquitto import Broker

from kiosk.district import documents
from kiosk.tickets.ticket import QueueError

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def calendar(version: int, *exceptions: dict) -> dict:
    return {"version": version, "schema": 1, "settings": {"queue": {
        "hours": ["00:00-24:00"], "week": {"sun": ["09:00-12:00"]}, "exceptions": list(exceptions)}}}


def closed_on(day, reason: str) -> dict:
    return {"date": day.isoformat(), "closed": True, "reason": {"zh": reason, "en": "Closed"}}


@pytest.fixture
def linked(tmp_path: Path, broker: Broker):
    link = Linked(tmp_path / "station", broker)
    yield link
    link.close()


def outcomes(linked: Linked, type_: str, count: int) -> list[dict]:
    assert wait_until(lambda: len([e for e in linked.events(type_) if e["data"]["doc"] == "config"]) >= count, 10)
    return [e["data"] for e in linked.events(type_) if e["data"]["doc"] == "config"]


def refusal(linked: Linked) -> QueueError | None:
    try:
        linked.station.take_ticket("consult")
    except QueueError as exc:
        return exc
    return None


def test_the_districts_calendar_overrides_the_stations_and_an_older_one_is_refused(linked: Linked):
    assert refusal(linked) is None                                   # the station's file: open at any hour
    linked.pen.document("config", calendar(4, closed_on(TODAY, "社区活动，今天休息")))
    assert outcomes(linked, "config.applied", 1)[0]["version"] == 4
    closed = refusal(linked)
    assert closed is not None and closed.code == "closed" and closed.details["reason"]["zh"] == "社区活动，今天休息"
    assert closed.details["opens_in_days"] == 1 and closed.details["opens_time"] in ("0:00", "9:00")

    linked.pen.document("config", calendar(3))                        # older: would open the station again
    rejected = outcomes(linked, "config.rejected", 1)[0]
    assert rejected["version"] == 3 and "version 3 is not newer than the applied version 4" in rejected["reasons"][0]
    assert refusal(linked) is not None                                # the district's v4 stays in force


def test_a_district_calendar_with_a_passed_date_or_overlapping_hours_is_refused_with_its_key(linked: Linked):
    yesterday = TODAY - timedelta(days=1)
    linked.pen.document("config", calendar(5, closed_on(yesterday, "昨天")))
    rejected = outcomes(linked, "config.rejected", 1)[0]
    assert rejected["reasons"] == [f"settings.queue.exceptions[0].date: found {yesterday}, expected a date from "
                                   f"today ({TODAY}) on: this exception has passed"]
    bad = calendar(6)
    bad["settings"]["queue"]["week"] = {"mon": ["08:30-12:00", "11:30-13:00"], "someday": []}
    linked.pen.document("config", bad)
    reasons = outcomes(linked, "config.rejected", 2)[1]["reasons"]
    assert 'settings.queue.week.mon: found "11:30-13:00" overlapping "08:30-12:00", expected periods that do not ' \
           "overlap" in reasons
    assert any(r.startswith("settings.queue.week.someday: is not a weekday") for r in reasons)
    assert documents.applied_version(linked.db(), "config") == 0 and refusal(linked) is None


def test_the_config_schema_takes_every_district_section_with_the_calendar():
    from sync import schemas

    doc = calendar(7, closed_on(TODAY, "休息"))
    doc["settings"].update(services=[{"id": "legal", "prefix": "L", "name": "法律咨询", "week": {"sat": []}}],
                           guide={"hours": "每天"}, points={"per_hour": 2},
                           help={"categories": [{"id": "repairs", "name": "小修小补"}]})
    assert schemas.errors(schemas.CONFIG_DOC, doc) == []
