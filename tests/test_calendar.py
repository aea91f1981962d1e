"""Opening hours that follow the calendar: the demo's week and holidays walked with a fixed clock.

Tickets are issued or refused at each moment, and a refusal names the next opening in words a
resident reads ("今天 14:30 开始", "明天 8:30 开始", a weekday, a date); the schedule is read and
refused with the key, the value found and what was expected.
"""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from conftest import LocalClock, demo_config
from test_queue_web import take_at_kiosk

from kiosk import config as cfg
from kiosk import demo, hardware
from kiosk.base import outbox, store
from kiosk.base.errors import ConfigError
from kiosk.station import Station
from kiosk.tickets.ticket import QueueError, TicketState


@pytest.fixture
def clock() -> LocalClock:
    return LocalClock("2026-12-28 08:00")          # a Monday


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return demo_config(tmp_path, calendar=True)    # the demo as shipped: its week, evenings and holidays


@pytest.fixture
def station_clock(clock: LocalClock) -> LocalClock:
    return clock                                    # the conftest's station keeps this clock


def take(station: Station, service: str = "consult") -> str | dict:
    """A ticket's number, or the refusal's details."""
    try:
        return station.take_ticket(service).issued.ticket.number
    except QueueError as exc:
        assert exc.code == "closed"
        return exc.details


def opens(details: dict) -> tuple[int, str]:
    return details["opens_in_days"], details["opens_time"]


# -- the week and a holiday, walked --------------------------------------------------------
def test_a_week_with_evening_sessions_and_new_years_day(station: Station, clock: LocalClock):
    walk = [
        ("2026-12-28 08:00", "consult", (0, "8:30")),      # Monday, before opening
        ("2026-12-28 08:30", "consult", "A001"),
        ("2026-12-28 12:00", "consult", (0, "14:30")),     # the lunch break starts at 12:00
        ("2026-12-28 18:00", "consult", (1, "8:30")),      # no evening session on Mondays
        ("2026-12-29 18:30", "consult", (0, "19:00")),     # Tuesday's evening session
        ("2026-12-29 19:30", "consult", "A001"),           # a new day starts at A001
        ("2026-12-29 21:00", "consult", (1, "8:30")),
        ("2026-12-31 21:30", "consult", (1, "9:00")),      # New Year's Day: mornings only, from 9:00
        ("2027-01-01 10:00", "certify", "C001"),           # certify's own hours, inside the station's
        ("2027-01-01 13:00", "consult", (1, "9:00")),      # Saturday's hours come next
        ("2027-01-01 15:00", "certify", (3, "8:30")),      # its own afternoon, but the station is shut
        ("2027-01-02 19:30", "consult", "A001"),           # weekend evening
        ("2027-01-02 10:00", "certify", (2, "8:30")),      # weekdays only
        ("2027-01-03 20:00", "consult", (1, "8:30")),
    ]
    for moment, service, expected in walk:
        clock.set(moment)
        got = take(station, service)
        assert (got if isinstance(got, str) else opens(got)) == expected, (moment, service)


def test_a_refusal_names_the_day_the_time_and_why_today_differs(station: Station, clock: LocalClock):
    clock.set("2027-01-01 13:00")
    details = take(station)
    assert details["opens_date"] == "2027-01-02" and details["opens_weekday"] == 6
    assert details["reason"]["zh"] == "元旦假期，只开上午" and details["closed_today"] is False
    assert details["opens_at"] == "2027-01-02T01:00:00.000+00:00"          # 9:00 in Shanghai
    clock.set("2027-02-05 10:00")                                          # 除夕: closed, two days
    details = take(station)
    assert details["closed_today"] is True and details["reason"]["en"] == "Closed for the Spring Festival"
    assert (details["opens_date"], details["opens_time"], details["opens_in_days"]) == ("2027-02-07", "10:00", 2)
    assert outbox.take(station.db()) == [] and station.printer.jobs == []   # a refusal writes and prints nothing


def test_tickets_taken_before_the_session_ends_are_served_after_it(station: Station, clock: LocalClock):
    clock.set("2026-12-29 20:55")
    ticket = station.take_ticket("consult").issued.ticket
    clock.set("2026-12-29 21:10")                                          # the evening session is over
    assert isinstance(take(station), dict)
    called = station.counter_action("call_next", "1", staff_id="S001")
    assert called.id == ticket.id
    assert station.counter_action("done", "1", staff_id="S001", ticket_id=ticket.id).state is TicketState.DONE


# -- the words on screen --------------------------------------------------------------------
def refused_page(client) -> str:
    response = take_at_kiosk(client)
    assert response.status_code == 409
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize("moment, zh, en, bo", [
    ("2026-12-28 12:30", "这项服务现在不取号，今天 14:30 开始。", "opens today at 14:30", "དེ་རིང་ཆུ་ཚོད་ 14:30"),
    ("2026-12-28 18:30", "这项服务现在不取号，明天 8:30 开始。", "opens tomorrow at 8:30", "སང་ཉིན་ཆུ་ཚོད་ 8:30"),
    ("2027-02-04 21:30", "这项服务现在不取号，星期日 10:00 开始。", "opens Sunday at 10:00", "གཟའ་ཉི་མ་ ཆུ་ཚོད་ 10:00"),
])
def test_the_resident_is_told_when_to_come_back_in_each_language(client, clock, moment, zh, en, bo):
    clock.set(moment)
    assert zh in refused_page(client)
    client.get("/lang/en")
    assert en in refused_page(client)
    client.get("/lang/bo")
    assert bo in refused_page(client)


def test_a_holiday_says_why_and_the_buttons_say_when(client, clock):
    clock.set("2027-02-05 09:00")
    page = refused_page(client)
    assert "除夕、春节初一休息。这项服务现在不取号，星期日 10:00 开始。" in page
    buttons = re.sub(r"\s+", " ", client.get("/queue/").get_data(as_text=True))
    assert buttons.count("现在不取号，星期日 10:00 开始") == 2          # consult and print
    assert "现在不取号，星期一 10:00 开始" in buttons     # certify: weekdays, within the holiday hours


def test_a_date_further_out_than_a_week_is_named_by_its_date(client, station, clock):
    from kiosk.district import documents

    body = {"version": 1, "schema": 1, "settings": {"queue": {"hours": ["08:30-12:00"], "exceptions": [
        {"date": "2027-03-01", "until": "2027-03-10", "closed": True,
         "reason": {"zh": "装修停业", "en": "Closed for works"}}]}}}
    assert documents.apply(station.db(), "config", body, sha256="c1", new_member_points=10,
                           timezone="Asia/Shanghai", now=clock()).status == "applied"
    clock.set("2027-03-02 10:00")
    assert "装修停业。这项服务现在不取号，3月11日 8:30 开始。" in refused_page(client)
    client.get("/lang/en")
    assert "Closed for works" in refused_page(client) and "opens March 11 at 8:30" in refused_page(client)


def test_the_api_says_closed_with_the_next_opening(client, clock):
    clock.set("2026-12-28 12:30")
    response = client.post("/api/v1/tickets", json={"service": "consult"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "closed" and body["opens_at"] == "2026-12-28T06:30:00.000+00:00"
    assert "today: 08:30-12:00, 14:30-18:00" in body["message"] and "2026-12-28 14:30" in body["message"]


# -- reading the schedule -----------------------------------------------------------------
def demo_raw() -> dict:
    return tomllib.loads((Path(demo.__file__).parent / "station.toml").read_text(encoding="utf-8"))


def problems(raw: dict) -> str:
    with pytest.raises(ConfigError) as err:
        cfg.parse(raw, Path("/etc/vstation/station.toml"))
    return str(err.value)


def test_the_demo_schedule_is_read_as_written():
    config = cfg.parse(demo_raw(), Path("/etc/vstation/station.toml"))
    week = config.queue.schedule.week
    assert len(week[0]) == 2 and len(week[1]) == 3 and week[5] == week[6] and len(week[5]) == 2
    holiday = config.queue.schedule.special_on(date(2027, 2, 6))
    assert holiday.closed and holiday.first == date(2027, 2, 5) and holiday.last == date(2027, 2, 6)
    certify = config.service("certify").schedule
    assert certify.week[5] == () and certify.week[6] == () and len(certify.week[0]) == 2
    assert config.service("consult").schedule.week == (None,) * 7        # follows the station


def test_older_files_with_every_day_hours_still_work():
    raw = demo_raw()
    del raw["queue"]["week"], raw["queue"]["exceptions"]
    raw["services"][2] = {k: v for k, v in raw["services"][2].items() if k != "week"}
    config = cfg.parse(raw, Path("/etc/vstation/station.toml"))
    assert set(config.queue.schedule.week) == {config.queue.schedule.week[0]}
    assert config.queue.schedule.given


def with_queue(**queue) -> dict:
    raw = demo_raw()
    raw["queue"] = {"priority_advance_minutes": 15, **queue}
    return raw


REASON = {"zh": "节日"}
BAD = [
    ("overlapping", with_queue(hours=["08:30-12:00", "11:00-15:00"]),
     'queue.hours: found "11:00-15:00" overlapping "08:30-12:00", expected periods that do not overlap'),
    ("reversed", with_queue(week={"mon": ["18:00-08:00"]}),
     'queue.week.mon: found "18:00-08:00", expected a period that ends after it starts'),
    ("not a period", with_queue(hours=["8:30-12"]), 'queue.hours: found "8:30-12", expected a period such as'),
    ("unknown weekday", with_queue(week={"mond": ["08:30-12:00"]}),
     "queue.week.mond: is not a weekday, expected one of mon, tue, wed, thu, fri, sat, sun"),
    ("no periods for every day", with_queue(hours=[]), "queue.hours: found [], expected a list of periods"),
    ("a date that is no date", with_queue(exceptions=[{"date": "2027-02-30", "closed": True, "reason": REASON}]),
     'queue.exceptions[0].date: found "2027-02-30", expected a date such as "2027-01-01"'),
    ("until before date", with_queue(exceptions=[
        {"date": "2027-02-05", "until": "2027-02-01", "closed": True, "reason": REASON}]),
     "queue.exceptions[0].until: found 2027-02-01, expected a date on or after date 2027-02-05"),
    ("two kinds at once", with_queue(exceptions=[
        {"date": "2027-02-05", "closed": True, "extra": ["19:00-21:00"], "reason": REASON}]),
     "queue.exceptions[0]: expected exactly one of closed = true, hours = [...]"),
    ("no reason", with_queue(exceptions=[{"date": "2027-02-05", "closed": True}]),
     "queue.exceptions[0].reason: is required but missing"),
    ("two exceptions for one day", with_queue(exceptions=[
        {"date": "2027-02-05", "until": "2027-02-07", "closed": True, "reason": REASON},
        {"date": "2027-02-07", "hours": ["10:00-12:00"], "reason": REASON}]),
     "queue.exceptions[1].date: found 2027-02-07, expected a date no other exception covers "
     "(queue.exceptions[0] covers 2027-02-05 to 2027-02-07)"),
    ("extra session inside the day's hours", with_queue(hours=["08:30-18:00"], exceptions=[
        {"date": "2027-02-05", "extra": ["17:00-21:00"], "reason": REASON}]),
     'queue.exceptions[0].extra: found "17:00-21:00" overlapping "08:30-18:00" of fri, expected an extra '
     "session outside the day's hours"),
]


@pytest.mark.parametrize("raw, expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_schedule_names_key_value_and_expectation(raw, expected):
    assert expected in problems(raw)


def test_a_services_schedule_is_checked_the_same_way():
    raw = demo_raw()
    raw["services"][0]["week"] = {"sat": ["09:00-12:00", "10:00-11:00"], "funday": []}
    found = problems(raw)
    assert 'services[0].week.sat: found "10:00-11:00" overlapping "09:00-12:00"' in found
    assert "services[0].week.funday: is not a weekday" in found


# -- exceptions that have passed ------------------------------------------------------------
def test_a_passed_exception_in_the_file_only_warns_and_the_station_starts(tmp_path, clock, caplog):
    from kiosk.upkeep.checkup import check

    raw = copy.deepcopy(demo_raw())
    config = cfg.parse(raw, tmp_path / "station.toml")        # dates of 2027: all still to come
    clock.set("2027-03-01 10:00")                               # …until the spring: the file is not touched
    store.open_store(config.database_path).close()
    hw = hardware.build(config)
    with caplog.at_level("WARNING"):
        st = Station(config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, clock=clock)
        st.start()
    assert st.take_ticket("consult").issued.ticket.number == "A001"
    st.stop()
    warned = [r.getMessage() for r in caplog.records if "has passed" in r.getMessage()]
    assert any("queue.exceptions[3].until: found 2027-02-11" in w for w in warned) and len(warned) == 4
    lines: list[str] = []
    check(config, devices=hardware.openers(), out=lines.append, clock=clock, timeout_s=0.2)
    assert any(line.startswith("warn") and "queue.exceptions[0].date: found 2027-01-01" in line for line in lines)
