"""The loop with a real station: asked at the station, dispatched from the console, done, rated, visited.

The station is a real `vstation run --simulate` process (kiosk and sync)
linked to the real hub on one mosquitto; the district's register gives it
its roster. The resident's request and the member's steps are written by
the station's own help desk on its database, as the kiosk's screens do;
the dispatch goes from the console (Flask's client) as the signed
`request.dispatch`, which the station verifies and runs.
"""

from __future__ import annotations

import re

import pytest
from conftest import wait_until
from hub import Rig, linked_demo
from sqlalchemy import select

from district import accounts
from district.db.engine import reading, writing
from district.db.help import help_requests
from district.members import register
from district.web import create_app
from kiosk import config as cfg
from kiosk.base import store
from kiosk.base.clock import utc_now
from kiosk.demo import ROSTER
from kiosk.help.desk import HelpDesk

STATION = "lhasa-cg-barkor-01"
PASSWORD = "correct horse battery"


@pytest.fixture
def loop(tmp_path):
    rig = Rig(tmp_path / "district", None)
    rig.start_hub()
    demo = None
    try:
        with writing(rig.engine) as conn:
            accounts.create_user(conn, "dai", PASSWORD, "dispatcher", utc_now())
            for member, uid in ROSTER:
                register.add(conn, member_id=member.id, name=member.name, role=member.role, grid=member.grid,
                             card_uid=uid, district="test-district", seed=10, by="ada", now=utc_now())
        demo = linked_demo(rig, STATION, tmp_path / STATION, grid="grid-1")
        yield rig, demo, create_app(rig.settings, rig.engine, wake=rig.hub.wake)
    finally:
        if demo:
            demo.stop()
        rig.close()


class Desk:
    """The station's help desk on its own database (what the kiosk's screens call)."""

    def __init__(self, demo) -> None:
        self.config = cfg.load(demo.data_dir / "station.toml")
        self.desk = HelpDesk(self.config.help)
        self.path = demo.data_dir / "station.db"

    def __call__(self, method: str, *args, **kw):
        conn = store.connect(self.path)
        try:
            return getattr(self.desk, method)(conn, *args, **kw)
        finally:
            conn.close()


def token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def at_hub(rig, request_id):
    with reading(rig.engine) as conn:
        return conn.execute(select(help_requests).where(help_requests.c.id == request_id)).first()


def test_a_request_asked_at_the_station_is_dispatched_done_rated_and_visited(loop):
    rig, demo, console = loop
    desk = Desk(demo)
    asked = desk("create", "elder-care", "13812345678", ["meals"], "today_pm", consent=True, key="k-1")
    assert wait_until(lambda: at_hub(rig, asked.id) is not None, 30), demo.output()[-2000:]
    client = console.test_client()
    page = client.get("/login").data
    client.post("/login", data={"username": "dai", "password": PASSWORD, "csrf_token": token(page)})
    listing = client.get("/dispatch/").get_data(as_text=True)
    assert f'/dispatch/{asked.id}">{asked.number}</a>' in listing and "13812345678" not in listing
    page = client.get(f"/dispatch/{asked.id}").data
    suggested = re.findall(rb'name="member_id" value="([^"]+)"', page)
    assert suggested[:2] == [b"M001", b"M002"]                      # grid-1, the station's grid
    answer = client.post(f"/dispatch/{asked.id}", data={"csrf_token": token(page), "member_id": "M001",
                                                        "points": "4", "note": ""}, follow_redirects=True)
    assert "派单已签名发往站点" in answer.get_data(as_text=True)

    assert wait_until(lambda: desk("get", asked.id).state == "dispatched", 30), demo.output()[-2000:]
    assert (desk("get", asked.id).member_id, desk("get", asked.id).points) == ("M001", 4)
    assert wait_until(lambda: at_hub(rig, asked.id).state == "dispatched", 30)
    desk("accept", asked.id, "M001")
    desk("done", asked.id, "M001", "solved")
    desk("rate", asked.id, 5)
    assert wait_until(lambda: at_hub(rig, asked.id).stars == 5, 30)
    row = at_hub(rig, asked.id)
    assert (row.state, row.member_id, row.points, row.outcome) == ("done", "M001", 4, "solved")
    assert row.created_at <= row.dispatched_at <= row.accepted_at <= row.done_at <= row.rated_at

    page = client.get(f"/dispatch/{asked.id}").data
    visited = client.post(f"/dispatch/{asked.id}/visit", data={"csrf_token": token(page), "reached": "1",
                                                               "satisfaction": "5", "note": "很满意"},
                          follow_redirects=True).get_data(as_text=True)
    assert "已记录回访" in visited and "联系上，满意度 5" in visited and "M001 完成：已解决" in visited
