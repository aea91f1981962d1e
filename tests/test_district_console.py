"""The district console through Flask's test client: login, roles, sessions, CSRF, documents and commands.

What district staff would meet: a wrong password answered in words and
slowed down after three, a session that ends, a form without its CSRF token
refused, a viewer who cannot send commands, a dispatcher whose command goes
out signed with the station's key, documents refused with every reason.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from hub import district_toml
from sqlalchemy import select

from district import accounts, settings as district_settings
from district.db.engine import reading, writing
from district.db.schema import commands, documents, users
from district.hub import open_database
from district.registry import credentials
from district.web import create_app
from kiosk.base.clock import utc_now
from sync.commands import verify

STATION = "lhasa-cg-barkor-01"
PASSWORD = "correct horse battery"


@pytest.fixture
def console(tmp_path):
    path = district_toml(tmp_path, 1883, None)
    settings = district_settings.load(path)
    engine = open_database(settings)
    credentials.add(engine, settings, STATION, "八廓 V站")
    with writing(engine) as conn:
        for name, role in (("ada", "admin"), ("dai", "dispatcher"), ("vic", "viewer")):
            accounts.create_user(conn, name, PASSWORD, role, utc_now())
    woken = []
    app = create_app(settings, engine, wake=woken.append)
    app.woken = woken
    yield app
    engine.dispose()


def token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def login(client, name: str, password: str = PASSWORD):
    page = client.get("/login").data
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token(page)})


def test_the_board_needs_a_login_and_shows_the_station_after_it(console):
    client = console.test_client()
    assert client.get("/").status_code == 302
    answer = client.get("/login")
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert login(client, "vic").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "八廓 V站" in page and STATION in page and "从未连接" not in page   # added just now: no alert yet
    client.get("/lang/en")
    assert "Stations" in client.get("/").get_data(as_text=True)


def test_a_wrong_password_is_refused_in_words_and_slowed_after_three(console):
    moment = utc_now()
    console.extensions["district"].clock = lambda: moment      # the wait cannot run out between two tries
    client = console.test_client()
    for _ in range(2):
        answer = login(client, "ada", "wrong password!")
        assert answer.status_code == 401 and "用户名或密码错误" in answer.get_data(as_text=True)
    third = login(client, "ada", "wrong password!")
    assert "请等待" in third.get_data(as_text=True)
    refused = login(client, "ada")                          # even the right password waits now
    assert refused.status_code == 401 and "请等待" in refused.get_data(as_text=True)
    assert "用户名或密码错误" in login(client, "nobody", "whatever pw").get_data(as_text=True)


def test_an_idle_session_ends_and_logout_revokes(console):
    client = console.test_client()
    login(client, "vic")
    assert client.get("/").status_code == 200
    engine = console.extensions["district"].engine
    from district.db.schema import web_sessions
    with writing(engine) as conn:
        conn.execute(web_sessions.update().values(last_seen_at=utc_now() - timedelta(hours=1)))
    expired = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "会话已过期" in expired
    login(client, "vic")
    page = client.get("/").data
    client.post("/logout", data={"csrf_token": token(page)})
    assert client.get("/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(console):
    client = console.test_client()
    login(client, "dai")
    answer = client.post(f"/stations/{STATION}/commands", data={"name": "printer.test"})
    assert answer.status_code == 400 and "CSRF" in answer.get_data(as_text=True)
    with reading(console.extensions["district"].engine) as conn:
        assert conn.execute(select(commands)).first() is None


def test_a_viewer_cannot_send_a_command_and_a_dispatcher_sends_it_signed(console):
    client = console.test_client()
    login(client, "vic")
    page = client.get(f"/stations/{STATION}").data
    assert client.post(f"/stations/{STATION}/commands",
                       data={"name": "printer.test", "csrf_token": token(page)}).status_code == 403
    client = console.test_client()
    login(client, "dai")
    page = client.get(f"/stations/{STATION}").data
    bad = client.post(f"/stations/{STATION}/commands", data={"name": "locker.open", "args": '{"slot": "U1"}',
                                                             "csrf_token": token(page)}, follow_redirects=True)
    assert "missing &#39;reason&#39;" in bad.get_data(as_text=True)
    client.post(f"/stations/{STATION}/commands", data={"name": "locker.open", "csrf_token": token(page),
                                                       "args": '{"slot": "U1", "reason": "伞卡住了"}'})
    engine = console.extensions["district"].engine
    with reading(engine) as conn:
        row = conn.execute(select(commands)).one()
    settings = console.extensions["district"].settings
    command_key = (settings.registry.folder / STATION / "command.key").read_text().strip().encode()
    cmd, _nonce = verify(row.payload.encode(), key=command_key, station=STATION, topic_id=row.id)
    assert (cmd.name, cmd.args, row.status, row.created_by) == ("locker.open", {"slot": "U1", "reason": "伞卡住了"},
                                                                "pending", "dai")
    assert console.woken == [STATION]


def test_a_notice_is_published_from_the_form_and_bad_documents_name_their_problems(console):
    client = console.test_client()
    login(client, "dai")
    page = client.get("/documents/notices/edit").data
    done = client.post("/documents/notices/publish", data={
        "csrf_token": token(page), "target": "*", "current": "[]", "title_zh": "停水通知", "title_en": "Water cut",
        "body_zh": "周三停水", "valid_from": "2026-11-22T08:00", "valid_until": "2026-11-26T00:00"},
        follow_redirects=True)
    assert "notices 第 1 版已发布给所有站点" in done.get_data(as_text=True)
    engine = console.extensions["district"].engine
    with reading(engine) as conn:
        body = conn.execute(select(documents.c.body)).scalar_one()
    assert body["notices"][0]["title"] == {"zh": "停水通知", "en": "Water cut"}
    assert body["notices"][0]["valid_from"] == "2026-11-22T08:00:00+08:00"
    assert client.post("/documents/config/publish", data={"csrf_token": token(page), "text": "{}"}).status_code == 403
    admin = console.test_client()
    login(admin, "ada")
    page = admin.get("/documents/config/edit").data
    bad = admin.post("/documents/config/publish", data={"csrf_token": token(page), "target": "*",
                                                        "text": '{"colour": 1}'}, follow_redirects=True)
    assert "unexpected &#39;colour&#39;" in bad.get_data(as_text=True)
    csv = "member_id,card_uid,name,role,grid,balance\nM001,0A1B2C3D4E,卓玛,member,grid-1,\nM002,XYZ,扎西,chief,,\n"
    bad = admin.post("/documents/roster/publish", data={"csrf_token": token(page), "target": "*",
                                                        "csv": (io.BytesIO(csv.encode()), "roster.csv")},
                     content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "line 3: card_uid …: expected 4 to 20 hex digits" in bad and "line 3: role" in bad
    with reading(engine) as conn:
        assert conn.execute(select(documents.c.kind)).scalars().all() == ["notices"]
        assert [u.username for u in conn.execute(select(users))] == ["ada", "dai", "vic"]
    assert json.loads(json.dumps(body))["schema"] == 1
