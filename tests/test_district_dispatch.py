"""The dispatcher's screen (社区派单) on the real hub: twins on a real mosquitto, the console through Flask's client.

What a dispatcher would see: every station's new requests oldest first,
members suggested by grid, past tasks and current load, a dispatch that
goes out as a `request.dispatch` signed with the station's key, then the
member's steps (accepted, handed back with its reason, done, rated) as the
station reports them, alerts for a request waiting too long or past the
resident's time; refusals in words that write nothing; return visits and
the satisfaction figure they make with the residents' ratings.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from conftest import wait_until
from hub import console_client, csrf, Rig, Twin
from sqlalchemy import func, select

from district import accounts
from district.db.engine import reading, writing
from district.db.help import help_requests, return_visits
from district.db.schema import commands, stations
from district.help import visits
from district.members import register
from district.web import create_app
from kiosk.base.clock import rfc3339, utc_now
from sync.commands import verify

A, B = "lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02"
PASSWORD = "correct horse battery"
CATEGORY = {"id": "elder-care", "name": {"zh": "居家养老", "en": "Home help for the elderly"}}


@pytest.fixture
def rig(tmp_path, db_url):
    running = Rig(tmp_path / "district", db_url, dispatch={"wait_minutes": 30, "points": 3, "category": [CATEGORY]})
    for station in (A, B):
        running.add_station(station)
    with writing(running.engine) as conn:
        conn.execute(stations.update().where(stations.c.id == A).values(grid="grid-1"))
        for name, role in (("dai", "dispatcher"), ("vic", "viewer")):
            accounts.create_user(conn, name, PASSWORD, role, utc_now())
        for member, grid, role in (("M001", "grid-1", "member"), ("M002", "grid-2", "volunteer"),
                                   ("M003", "grid-2", "member"), ("S001", "grid-1", "staff")):
            register.add(conn, member_id=member, name=f"成员{member}", role=role, grid=grid,
                         district="test-district", seed=10, by="ada", now=utc_now())
        register.add(conn, member_id="X009", name="外区", role="member", district="other-district", seed=0,
                     by="ada", now=utc_now())
    running.start_hub()
    yield running
    running.close()


@pytest.fixture
def console(rig):
    app = create_app(rig.settings, rig.engine, wake=rig.hub.wake)
    return app


def station(rig: Rig, station_id: str) -> Twin:
    twin = Twin(rig.broker, station_id, rig.secret(station_id, "mqtt.secret"), epoch=1_700_000_000_000)
    twin.birth()
    return twin


token = csrf


def logged_in(app, name: str):
    return console_client(app, name)


def ask(twin: Twin, number: str, *, minutes_ago: int = 1, preferred: str = "today_pm") -> str:
    """A resident's request at the twin's screen, `minutes_ago`; its id once the hub has it."""
    request_id = str(uuid.uuid4())
    twin.send([twin.event("request.created", {
        "request_id": request_id, "number": number, "category": "elder-care", "details": ["meals"],
        "preferred_time": preferred, "phone_masked": "138****1234", "consent": True, "lang": "zh"},
        ts=rfc3339(utc_now() - timedelta(minutes=minutes_ago)))])
    assert twin.wait_acked(twin.seq)
    return request_id


def step(twin: Twin, kind: str, request_id: str, member: str, **data) -> None:
    twin.send([twin.event(f"request.{kind}", {"request_id": request_id, "member_id": member, **data})])
    assert twin.wait_acked(twin.seq)


def dispatch(client, request_id: str, **form) -> str:
    page = client.get(f"/dispatch/{request_id}").data
    return client.post(f"/dispatch/{request_id}", data={"csrf_token": token(page), "points": "3", "note": "",
                                                        **form}, follow_redirects=True).get_data(as_text=True)


def waiting_numbers(client) -> list[str]:
    page = client.get("/dispatch/").get_data(as_text=True)
    table = page.split('class="requests waiting"')[1].split("</table>")[0]
    return re.findall(r'/dispatch/[0-9a-f-]+">(\d+)</a>', table)


def command_count(rig) -> int:
    with reading(rig.engine) as conn:
        return conn.execute(select(func.count()).select_from(commands)
                            .where(commands.c.name == "request.dispatch")).scalar()


def state(rig, request_id: str):
    with reading(rig.engine) as conn:
        return conn.execute(select(help_requests.c.state, help_requests.c.member_id)
                            .where(help_requests.c.id == request_id)).one()


def test_a_request_is_dispatched_signed_and_followed_to_its_rating(rig, console):
    a, b = station(rig, A), station(rig, B)
    later = ask(b, "1001", minutes_ago=5)
    first = ask(a, "1001", minutes_ago=20)
    client = logged_in(console, "dai")
    assert waiting_numbers(client) == ["1001", "1001"]
    page = client.get("/dispatch/").get_data(as_text=True)
    assert page.index(f"/dispatch/{first}") < page.index(f"/dispatch/{later}")      # the oldest first
    assert "居家养老" in page and "今天下午" in page and "grid-1" in page

    detail = client.get(f"/dispatch/{first}").get_data(as_text=True)
    suggested = re.findall(r'name="member_id" value="([^"]+)"', detail)
    assert suggested[0] == "M001" and "S001" not in suggested and "X009" not in suggested   # A's grid first

    answer = dispatch(client, first, member_id="M002", note="带上购物袋")
    assert "派单已签名发往站点" in answer and "派给 M002：等待站点" in answer
    assert wait_until(lambda: a.commands, 10)
    topic, payload = a.commands[0]
    command, _nonce = verify(payload, key=rig.secret(A, "command.key").encode(), station=A,
                             topic_id=topic.rsplit("/", 1)[1])
    assert (command.name, command.args) == ("request.dispatch", {"request_id": first, "member_id": "M002",
                                                                 "points": 3, "note": "带上购物袋"})
    step(a, "dispatched", first, "M002", points=3)
    step(a, "accepted", first, "M002")
    assert state(rig, first) == ("accepted", "M002") and waiting_numbers(client) == ["1001"]
    step(a, "handed_back", first, "M002", reason="too_far")
    assert state(rig, first) == ("open", None)
    page = client.get(f"/dispatch/{first}").get_data(as_text=True)
    assert "M002 退回：太远" in page

    dispatch(client, first, member_id="M001")
    assert wait_until(lambda: len(a.commands) == 2, 10)
    step(a, "dispatched", first, "M001", points=3)
    step(a, "accepted", first, "M001")
    step(a, "done", first, "M001", outcome="solved", points=3)
    a.send([a.event("request.rated", {"request_id": first, "member_id": "M001", "stars": 4})])
    assert a.wait_acked(a.seq)
    page = client.get("/dispatch/").get_data(as_text=True)
    following = page.split('class="requests following"')[1]
    assert "已完成" in following and "★★★★" in following and "M001" in following
    page = client.get(f"/dispatch/{first}").get_data(as_text=True)
    assert "M001 完成：已解决" in page and "居民评价 4 星" in page
    a.close()
    b.close()


def test_a_dispatch_is_refused_in_words_and_nothing_is_written(rig, console):
    a = station(rig, A)
    request_id = ask(a, "1002")
    with writing(rig.engine) as conn:
        register.deactivate(conn, "M003", "搬走了", by="ada", now=utc_now())
    client = logged_in(console, "dai")
    for member, words in (("M003", "成员 M003 已停用"), ("X009", "成员 X009 属于另一个区（other-district）"),
                          ("S001", "S001 是工作人员，不能接单"), ("M404", "名册中没有成员 M404")):
        assert "没有派单：" + words in dispatch(client, request_id, member_other=member)
    assert "没有派单：任务积分是 0 到 100 的整数" in dispatch(client, request_id, member_id="M001", points="101")
    assert command_count(rig) == 0

    viewer = logged_in(console, "vic")
    page = viewer.get(f"/dispatch/{request_id}").data
    assert viewer.post(f"/dispatch/{request_id}", data={"csrf_token": token(page), "member_id": "M001",
                                                        "points": "3"}).status_code == 403
    assert "没有派单" not in dispatch(client, request_id, member_id="M001")
    assert "求助 1002 已派给 M001，正在等待站点确认" in dispatch(client, request_id, member_id="M002")
    step(a, "dispatched", request_id, "M001", points=3)
    step(a, "accepted", request_id, "M001")
    assert "求助 1002 已被 M001 接单或完成" in dispatch(client, request_id, member_id="M002")
    assert command_count(rig) == 1
    a.close()


def test_alerts_for_a_request_waiting_too_long_and_one_past_its_time(rig, console):
    a = station(rig, A)
    ask(a, "1003", minutes_ago=5)                                      # within the half hour
    slow = ask(a, "1004", minutes_ago=45)
    late = ask(a, "1005", minutes_ago=2 * 24 * 60, preferred="today_am")   # two days ago, this morning
    step(a, "dispatched", late, "M001", points=3)
    step(a, "accepted", late, "M001")
    client = logged_in(console, "dai")
    page = client.get("/dispatch/").get_data(as_text=True)
    alerts = page.split('id="dispatch-alerts"')[1].split("</section>")[0]
    assert alerts.count('<li class="alert waiting">') == 1 and f"/dispatch/{slow}" in alerts
    assert "已等待 45 分钟 未派单" in alerts
    assert alerts.count('<li class="alert overdue">') == 1 and f"/dispatch/{late}" in alerts
    assert re.search(r"应在 \d{4}-\d\d-\d\d 12:00 前完成，尚未完成（M001）", alerts)   # noon, local time
    step(a, "done", late, "M001", outcome="partly", points=3)
    page = client.get("/dispatch/").get_data(as_text=True)
    assert 'class="alert overdue"' not in page
    a.close()


def test_return_visits_make_the_satisfaction_figure_with_the_ratings(rig, console):
    a = station(rig, A)
    rated, visited, both, open_one = (ask(a, n) for n in ("1006", "1007", "1008", "1009"))
    for request_id in (rated, visited, both):
        step(a, "dispatched", request_id, "M001", points=3)
        step(a, "accepted", request_id, "M001")
        step(a, "done", request_id, "M001", outcome="solved", points=3)
    for request_id, stars in ((rated, 5), (both, 2)):
        a.send([a.event("request.rated", {"request_id": request_id, "member_id": "M001", "stars": stars})])
    assert a.wait_acked(a.seq)
    client = logged_in(console, "dai")

    def visit(request_id: str, **form) -> str:
        page = client.get(f"/dispatch/{request_id}").data
        return client.post(f"/dispatch/{request_id}/visit", data={"csrf_token": token(page), "note": "", **form},
                           follow_redirects=True).get_data(as_text=True)
    assert "已记录回访" in visit(visited, reached="0", satisfaction="5")        # not reached: no score
    assert "已记录回访" in visit(visited, reached="1", satisfaction="3", note="饭菜按时送到")
    assert "已记录回访" in visit(both, reached="1", satisfaction="4")
    page = client.get(f"/dispatch/{visited}").get_data(as_text=True)
    assert "联系上，满意度 3" in page and "没有联系上" in page and "饭菜按时送到" in page
    assert "没有记录回访：求助 1009 还没有完成" in visit(open_one, reached="1", satisfaction="4")
    assert "没有记录回访：联系上的居民，满意度是 1 到 5" in visit(rated, reached="1", satisfaction="9")
    with reading(rig.engine) as conn:
        assert conn.execute(select(func.count()).select_from(return_visits)).scalar() == 3
        figure = visits.combined(visits.scores(conn, station=A))
    # rated: 5 (its rating); visited: 3 (the reached visit); both: 4 (the visit over the rating of 2)
    assert (figure.done, figure.ratings, figure.visits, figure.scored, figure.average) == (3, 2, 2, 3, 4.0)
    a.close()
