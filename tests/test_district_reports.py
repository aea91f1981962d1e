"""Reports on the district console: the stations' events of a past month through the hub's own ingest.

Two stations' packs (tickets and their calls, ratings, check-ins, points,
redemptions, a help request with its steps) go through `Ingest`, as the
broker would hand them; a return visit is recorded. What district staff
would read: per station and for the district, by day, week and month, in
the district's time zone (Asia/Shanghai: 23:30 and 00:30 local are two
days), the CSV export, the printable month with the request and its
times, and every bad range refused in words with no figures.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hub import district_toml

from district import accounts, settings as district_settings
from district.db.engine import writing
from district.help import visits
from district.hub import open_database
from district.ingest.unit import Ingest, Received
from district.projections import Projector
from district.registry import credentials
from district.web import create_app
from kiosk.base.clock import rfc3339, utc_now

A, B = "lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02"
PASSWORD = "correct horse battery"
CST = timezone(timedelta(hours=8))
REQUEST = str(uuid.uuid4())


def at(day: int, hour: int, minute: int = 0) -> str:
    """A moment of November 2026, local time (UTC+8), as the station writes it (UTC)."""
    return rfc3339(datetime(2026, 11, day, hour, minute, tzinfo=CST))


class Station:
    def __init__(self, ingest: Ingest, station: str) -> None:
        self.ingest, self.station, self.seq = ingest, station, 0
        self.put("status", {"online": True, "version": "0.1.0", "started": at(1, 8), "session": 1,
                            "ts": at(1, 8), "epoch": 1, "epoch_first_seq": 1})

    def put(self, leaf: str, payload: dict) -> None:
        self.ingest.handle(Received(f"vstation/v1/{self.station}/{leaf}", json.dumps(payload).encode()))

    def events(self, *items: tuple[str, str, dict]) -> None:
        pack = []
        for kind, ts, data in items:
            self.seq += 1
            pack.append({"id": str(uuid.uuid4()), "seq": self.seq, "epoch": 1, "type": kind, "ts": ts, "data": data})
        self.put("events", {"events": pack, "ts": at(28, 12)})


def ticket(n: int, kind: str, ts: str, **extra) -> tuple[str, str, dict]:
    return (kind, ts, {"ticket_id": f"00000000-0000-4000-8000-{n:012d}", "number": f"A{n:03d}", "service": "consult",
                       "state": {"ticket.issued": "waiting", "ticket.called": "called"}.get(kind, "done"),
                       "counter": None, **extra})


def points(amount: int, reason: str, ts: str) -> tuple[str, str, dict]:
    return ("points.entry", ts, {"entry_id": str(uuid.uuid4()), "member_id": "M001", "amount": amount,
                                 "reason": reason, "author": "S001", "note": "", "balance_after": 50})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory):
    """The reports console of a district whose two stations sent the events above, on each database (the
    report takes the fields it reads out of the events' JSON in SQL: each dialect its own way)."""
    folder = tmp_path_factory.mktemp("reports")
    db_url = request.getfixturevalue("postgres").create_database() if request.param == "postgresql" else None
    settings = district_settings.load(district_toml(folder, 1883, db_url, district={"timezone": "Asia/Shanghai"}))
    engine = open_database(settings)
    credentials.add(engine, settings, A, "八廓 V站")
    credentials.add(engine, settings, B, "吉崩岗 V站")
    with writing(engine) as conn:
        accounts.create_user(conn, "vic", PASSWORD, "viewer", utc_now())
    ingest = Ingest(engine, settings.ingest, projector=Projector(settings.balances))
    a, b = Station(ingest, A), Station(ingest, B)
    a.events(ticket(1, "ticket.issued", at(3, 9, 0), priority=False, position=1, estimated_wait_s=0),
             ticket(2, "ticket.issued", at(3, 9, 5), priority=False, position=2, estimated_wait_s=60),
             ticket(3, "ticket.issued", at(3, 9, 10), priority=False, position=3, estimated_wait_s=60),
             ticket(1, "ticket.called", at(3, 9, 4), by="S001", recall=False),
             ticket(2, "ticket.called", at(3, 9, 15), by="S001", recall=False),
             ticket(3, "ticket.called", at(3, 9, 30), by="S001", recall=False),
             ticket(3, "ticket.called", at(3, 9, 33), by="S001", recall=True),        # a recall: the first call counts
             ticket(1, "rating.given", at(3, 9, 20), rating=5), ticket(2, "rating.given", at(3, 9, 40), rating=3),
             ticket(4, "ticket.issued", at(10, 15, 0), priority=False, position=1, estimated_wait_s=0),
             ("member.checked_in", at(3, 8, 0), {"member_id": "M001", "visit_id": str(uuid.uuid4())}),
             ("member.checked_out", at(3, 9, 30), {"member_id": "M001", "visit_id": str(uuid.uuid4()), "minutes": 90,
                                                  "points": 3, "auto": False}),
             ("member.checked_in", at(3, 23, 30), {"member_id": "M002", "visit_id": str(uuid.uuid4())}),
             ("member.checked_in", at(4, 0, 30), {"member_id": "M002", "visit_id": str(uuid.uuid4())}),
             points(3, "volunteer_hours", at(3, 9, 30)), points(-20, "redemption", at(3, 10)),
             points(10, "seed", at(3, 8)),                                          # a station's own seed: not issued
             ("redemption.made", at(3, 10), {"redemption_id": str(uuid.uuid4()), "member_id": "M001",
                                            "staff_id": "S001", "items": [{"goods_id": "rice", "qty": 1,
                                                                           "unit_price": 20}],
                                            "total": 20, "balance_after": 30}),
             ("request.created", at(3, 10), {"request_id": REQUEST, "number": "1001", "category": "repairs",
                                             "details": ["tap"], "preferred_time": "today_pm",
                                             "phone_masked": "138****5678", "consent": True, "lang": "zh"}),
             ("request.dispatched", at(3, 10, 30), {"request_id": REQUEST, "member_id": "M001", "points": 2}),
             ("request.accepted", at(3, 11), {"request_id": REQUEST, "member_id": "M001"}),
             ("request.done", at(3, 14), {"request_id": REQUEST, "member_id": "M001", "outcome": "solved",
                                          "points": 2}),
             ("request.rated", at(3, 15), {"request_id": REQUEST, "member_id": "M001", "stars": 4}))
    b.events(ticket(11, "ticket.issued", at(3, 9, 0), priority=False, position=1, estimated_wait_s=0),
             ticket(11, "ticket.called", at(3, 9, 6), by="S009", recall=False))
    with writing(engine) as conn:
        visits.record(conn, REQUEST, reached=True, satisfaction=5, note="", by="dai", now=utc_now())
    app = create_app(settings, engine)
    client = app.test_client()
    page = client.get("/login").data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    client.post("/login", data={"username": "vic", "password": PASSWORD, "csrf_token": token})
    yield client
    engine.dispose()


def exported(client, **args) -> dict[str, dict[str, str]]:
    answer = client.get("/reports/export.csv", query_string=args)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    return {r[args["unit"]]: r for r in rows}


def test_a_station_by_day_counts_its_own_events_in_local_days(console):
    days = exported(console, station=A, start="2026-11-01", end="2026-11-30", unit="day")
    assert len(days) == 31 and days["2026-11-01"]["tickets"] == "0"             # 30 days and the total
    day = days["2026-11-03"]
    assert (day["tickets"], day["wait_p50_min"], day["wait_p90_min"]) == ("3", "10.0", "20.0")
    assert (day["ratings"], day["rating_avg"], day["checkins"], day["volunteer_hours"]) == ("2", "4.0", "2", "1.5")
    assert (day["points_issued"], day["points_spent"], day["redemptions"]) == ("3", "20", "1")
    assert (day["requests"], day["requests_done"], day["dispatch_p50_min"], day["done_p50_h"]) == ("1", "1", "30.0",
                                                                                                  "4.0")
    assert (day["satisfaction"], day["satisfaction_n"]) == ("5.0", "1")           # the visit over the rating
    assert days["2026-11-04"]["checkins"] == "1"                                   # 00:30 local is the 4th
    assert (days["2026-11-10"]["tickets"], days["2026-11-10"]["wait_p50_min"]) == ("1", "")   # never called
    assert days["total"]["tickets"] == "4"


def test_the_district_by_week_and_month_adds_every_station(console):
    weeks = exported(console, station="", start="2026-11-01", end="2026-11-30", unit="week")
    assert list(weeks) == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49", "total"]
    week = weeks["2026-W45"]                                                       # 2 to 8 November
    assert (week["station"], week["tickets"], week["wait_p50_min"], week["wait_p90_min"]) == ("*", "4", "6.0", "20.0")
    months = exported(console, start="2026-10-01", end="2026-11-30", unit="month")
    assert (months["2026-10"]["tickets"], months["2026-11"]["tickets"], months["2026-11"]["requests"]) == ("0", "5", "1")


def test_the_report_page_shows_figures_charts_and_requests_by_state_and_category(console):
    raw = console.get("/reports/", query_string={"station": A, "start": "2026-11-01", "end": "2026-11-30",
                                                 "unit": "week"}).get_data(as_text=True)
    page = html.unescape(raw)
    assert '<b id="satisfaction">5.0</b>' in page and "已完成</span> 1" in page and "repairs 1" in page
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', raw).group(1)))
    assert chart["labels"][1] == "2026-W45" and chart["tickets"][1] == 3 and chart["wait_p90_min"][1] == 20.0
    assert "/reports/lhasa-cg-barkor-01/month/2026-11" in page
    assert console.get("/reports/").status_code == 200                            # this month so far, by day


def test_the_printable_month_lists_the_request_with_its_local_times(console):
    page = console.get(f"/reports/{A}/month/2026-11").get_data(as_text=True)
    assert "八廓 V站" in page and "2026-11 月报" in page
    row = re.search(r"<tr><td>1001</td>.*?</tr>", page, re.S).group(0)
    for moment in ("2026-11-03 10:00", "2026-11-03 10:30", "2026-11-03 11:00", "2026-11-03 14:00"):
        assert moment in row
    assert "M001" in row and "<td>4</td>" in row
    assert len(re.findall(r"<tr><th>2026-11-\d\d</th>", page)) == 30
    assert console.get(f"/reports/{A}/month/2026-13").status_code == 400
    assert console.get("/reports/nowhere/month/2026-11").status_code == 404


@pytest.mark.parametrize("args, words", [
    ({"start": "", "end": "2026-11-30", "unit": "day"}, "请填写报表的开始和结束日期"),
    ({"start": "2026-11-30", "end": "2026-11-01", "unit": "day"}, "结束日期 2026-11-01 早于开始日期 2026-11-30"),
    ({"start": "2026-11-01", "end": "30/11/2026", "unit": "day"}, "2026-11-01 至 30/11/2026 不是日期（年-月-日）"),
    ({"start": "2026-01-01", "end": "2026-12-31", "unit": "day"}, "一份报表最多 92 个时段"),
    ({"start": "2026-11-01", "end": "2026-11-30", "unit": "year"}, "报表按日、周或月"),
])
def test_a_bad_range_is_refused_in_words_with_no_figures(console, args, words):
    answer = console.get("/reports/", query_string={"station": A, **args})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "没有报表：" + words in page and "导出 CSV" not in page
    refused = console.get("/reports/export.csv", query_string={"station": A, **args})
    assert refused.status_code == 400 and words in refused.get_data(as_text=True)
