"""Staff duty from the staff's own card taps, with a fixed clock: on and off duty, events, the day's report."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LocalClock, demo_config, slips

from drivers import paper
from kiosk.base import outbox, store
from kiosk.members import cards
from kiosk.members.cards import Member
from kiosk.members.duty import DutyError
from kiosk.station import Station

LI_NA, MEMBER, UNKNOWN, CIREN = "5A5A5A5A01", "0A1B2C3D4E", "9999999999", "5A5A5A5A02"


@pytest.fixture
def clock() -> LocalClock:
    return LocalClock("2026-12-28 08:25")                    # a Monday: open 8:30–12:00, 14:30–18:00


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return demo_config(tmp_path, calendar=True)       # a forgotten duty ends at the calendar's closing


@pytest.fixture
def station_clock(clock: LocalClock) -> LocalClock:
    return clock


@pytest.fixture(autouse=True)
def second_staff_member(station: Station) -> None:
    with store.transaction(station.db()):
        cards.put(station.db(), Member("S002", "次仁", "staff", "grid-2", 10), CIREN)


def events(station: Station, prefix: str = "staff.") -> list[outbox.Event]:
    return [e for e in outbox.take(station.db(), limit=1000) if e.type.startswith(prefix)]


def tap(station: Station, uid: str):
    return station.duty.tap(station.db(), uid)


def test_a_staff_member_taps_on_and_off_duty_and_the_district_hears_of_both(station, clock):
    on = tap(station, LI_NA)
    assert (on.kind, on.member.name, on.on_duty) == ("on_duty", "李娜", True)
    clock.advance(seconds=20)
    assert tap(station, LI_NA).kind == "repeat"                 # a double tap does not end the duty just begun
    assert [s.name for s in station.duty.on_duty(station.db())] == ["李娜"]
    clock.set("2026-12-28 17:40")
    off = tap(station, LI_NA)
    assert (off.kind, off.on_duty, off.shift.minutes(clock())) == ("off_duty", False, 555)
    assert station.duty.on_duty(station.db()) == []
    on_event, off_event = events(station)
    assert (on_event.type, on_event.data["member_id"], on_event.data["duty_id"]) == \
        ("staff.on_duty", "S001", on.shift.id)
    assert off_event.type == "staff.off_duty"
    assert off_event.data == {"member_id": "S001", "duty_id": on.shift.id,
                              "started_at": "2026-12-28T00:25:00.000+00:00",
                              "ended_at": "2026-12-28T09:40:00.000+00:00", "minutes": 555, "auto": False}


@pytest.mark.parametrize("uid, code", [(MEMBER, "not_staff"), (UNKNOWN, "unknown_card")])
def test_a_card_that_is_not_a_staff_card_is_refused_and_writes_nothing(station, uid, code):
    with pytest.raises(DutyError) as refused:
        tap(station, uid)
    assert refused.value.code == code and refused.value.status == 403
    assert station.db().execute("SELECT COUNT(*) FROM duty").fetchone()[0] == 0 and events(station, "") == []


def test_a_duty_nobody_ended_is_ended_at_that_days_closing_and_flagged(station, clock):
    tap(station, LI_NA)                                          # Monday 08:25, and no tap at the end
    clock.set("2026-12-28 21:00")
    assert station.duty.end_forgotten(station.db()) == 0         # the same day: staff may stay late
    clock.set("2026-12-29 07:50")
    assert station.duty.end_forgotten(station.db()) == 1
    off = events(station)[-1]
    assert off.type == "staff.off_duty" and off.data["auto"] is True
    assert off.data["ended_at"] == "2026-12-28T10:00:00.000+00:00" and off.data["minutes"] == 575   # 18:00
    assert tap(station, LI_NA).kind == "on_duty"                # a new day's duty


def test_duty_hours_are_in_the_days_report_on_screen_and_on_paper(station, clock):
    tap(station, LI_NA)                                          # 08:25
    clock.set("2026-12-28 12:00")
    tap(station, LI_NA)                                          # off at noon
    clock.set("2026-12-28 14:20")
    tap(station, LI_NA)                                          # and on again
    tap(station, CIREN)                                          # 次仁 from 14:20
    clock.set("2026-12-28 17:00")
    tap(station, CIREN)
    clock.set("2026-12-28 17:30")
    report = {h.name: h for h in station.daily_report().duty}
    assert (report["李娜"].shifts, report["李娜"].minutes, report["李娜"].last_off) == (2, 215 + 190, None)
    assert (report["次仁"].minutes, report["次仁"].last_off) == (160, "2026-12-28T09:00:00.000+00:00")
    assert station.print_daily_report()
    text = paper.text_of(slips(station)[-1])
    assert "值班" in text and "李娜 08:25–在岗  6 小时 45 分" in text and "次仁 14:20–17:00  2 小时 40 分" in text


def test_the_staff_report_screen_lists_duty_hours(station, clock):
    from test_queue_web import sign_in
    from test_web import csrf_token  # noqa: F401  (sign_in posts a form)

    from kiosk.web import create_app

    client = create_app(station, simulated=True, test_config={"TESTING": True}).test_client()
    tap(station, LI_NA)
    clock.set("2026-12-28 10:05")

    from conftest import Card

    sign_in(client, Card(station))     # the tap's id goes with the sign-in screen, as a browser's would
    page = client.get("/staff/report").get_data(as_text=True)
    assert 'id="duty-report"' in page and "李娜" in page and "08:25" in page and "在岗" in page
    assert "1 小时 40 分" in page
