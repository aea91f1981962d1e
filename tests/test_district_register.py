"""The member register on the district console (Flask's client, a real database file).

What an admin would meet: members and volunteers added, edited, given a
new card (the old one released and kept in the history), deactivated and
back; a roster CSV imported in one go, or, with any bad row, not at all and
every bad row listed by its line; each refusal in words with nothing
written; viewers who may look but not change.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from hub import console_client, csrf, district_toml
from sqlalchemy import func, select

from district import accounts, settings as district_settings
from district.db.engine import reading, writing
from district.db.people import ledger, member_cards, members
from district.hub import open_database
from district.members import register
from district.web import create_app
from kiosk.base.clock import utc_now

PASSWORD = "correct horse battery"


@pytest.fixture
def console(tmp_path):
    settings = district_settings.load(district_toml(tmp_path, 1883, None, balances={"new_member": 10}))
    engine = open_database(settings)
    with writing(engine) as conn:
        for name, role in (("ada", "admin"), ("vic", "viewer")):
            accounts.create_user(conn, name, PASSWORD, role, utc_now())
        register.add(conn, member_id="M001", name="卓玛", role="member", grid="grid-1", card_uid="0A1B2C3D4E",
                     district="test-district", seed=10, by="ada", now=utc_now())
        register.add(conn, member_id="M002", name="扎西", role="volunteer", grid="grid-1", card_uid="0A00C0FFEE",
                     district="test-district", seed=10, by="ada", now=utc_now())
        register.add(conn, member_id="M003", name="王秀英", role="member", grid="grid-2",
                     district="test-district", seed=10, by="ada", now=utc_now())
        register.deactivate(conn, "M003", "搬走了", by="ada", now=utc_now())
        register.add(conn, member_id="X009", name="外区", role="member", district="other-district", seed=0,
                     by="ada", now=utc_now())
    woken: list = []
    app = create_app(settings, engine, wake=woken.append)
    app.woken, app.engine = woken, engine
    yield app
    engine.dispose()


token = csrf


def logged_in(app, name: str = "ada"):
    return console_client(app, name)


def post(client, url: str, **form) -> str:
    page = client.get("/members/").data
    answer = client.post(url, data={"csrf_token": token(page), **form}, follow_redirects=True)
    return html.unescape(answer.get_data(as_text=True))


def upload(client, text: str):
    page = client.get("/register/import").data
    return client.post("/register/import", data={"csrf_token": token(page),
                                                 "csv": (io.BytesIO(text.encode("utf-8")), "roster.csv")},
                       content_type="multipart/form-data")


def snapshot(app) -> tuple:
    with reading(app.engine) as conn:
        people = conn.execute(select(members.c.id, members.c.name, members.c.role, members.c.grid, members.c.card_uid,
                                     members.c.active).order_by(members.c.id)).all()
        entries = conn.execute(select(func.count()).select_from(ledger)).scalar()
        cards = conn.execute(select(func.count()).select_from(member_cards)).scalar()
    return people, entries, cards


def test_members_are_added_edited_given_a_new_card_deactivated_and_back(console):
    client = logged_in(console)
    page = post(client, "/register/", member_id="V010", name="次仁", role="volunteer", grid="grid-2",
                card_uid="ab cd 12 34", opening="")
    assert "已添加成员 V010" in page and "次仁" in page and '<b id="balance">10</b>' in page and "…1234" in page
    assert console.woken == [None]
    page = post(client, "/register/V010", name="次仁多吉", role="member", grid="grid-1")
    assert "次仁多吉" in page and "grid-1" in page
    page = post(client, "/register/V010/card", card_uid="ABCD5678", why="lost")
    assert "已换卡" in page and "…5678" in page and "挂失" in page            # the old card released, kept
    with reading(console.engine) as conn:
        history = conn.execute(select(member_cards.c.card_uid, member_cards.c.released_why)
                               .where(member_cards.c.member_id == "V010").order_by(member_cards.c.id)).all()
    assert history == [("ABCD1234", "lost"), ("ABCD5678", None)]
    assert "没有保存：请说明停用的原因" in post(client, "/register/V010/deactivate", reason=" ")
    page = post(client, "/register/V010/deactivate", reason="去外地了")
    assert "已停用" in page and "停用：去外地了" in page
    assert "次仁多吉" not in client.get("/members/").get_data(as_text=True)     # off the list, and the rosters
    assert "已重新启用" in post(client, "/register/V010/reactivate")
    assert len(console.woken) == 5


@pytest.mark.parametrize("form, words", [
    ({"member_id": "M001", "name": "又一个", "role": "member"}, "成员 M001 已在名册中"),
    ({"member_id": "M010", "name": "新人", "role": "member", "card_uid": "0A1B2C3D4E"}, "卡 …3D4E 已属于成员 M001"),
    ({"member_id": "M010", "name": "新人", "role": "boss"}, "成员资料不正确 · role 'boss' is not one of"),
    ({"member_id": "M 10", "name": "新人", "role": "member"}, "成员资料不正确 · member_id 'M 10' is not"),
    ({"member_id": "M010", "name": "新人", "role": "member", "card_uid": "XYZ"}, "card_uid … is not 4-20 hex"),
    ({"member_id": "M010", "name": "新人", "role": "member", "opening": "ten"}, "原有余额必须是整数"),
])
def test_a_bad_member_is_refused_in_words_and_nothing_is_written(console, form, words):
    client = logged_in(console)
    before = snapshot(console)
    page = post(client, "/register/", **{"grid": "", "card_uid": "", "opening": "", **form})
    assert "没有保存：" in page and words in page
    assert snapshot(console) == before and console.woken == []


def test_a_viewer_may_look_but_not_change_the_register(console):
    client = logged_in(console, "vic")
    before = snapshot(console)
    page = client.get("/members/").data
    assert b"/register/import" not in page
    for url in ("/register/", "/register/M001", "/register/M001/deactivate"):
        assert client.post(url, data={"csrf_token": token(page), "member_id": "M010", "name": "x",
                                      "role": "member", "reason": "x"}).status_code == 403
    assert client.get("/register/import").status_code == 403 and snapshot(console) == before


def test_a_good_csv_adds_and_updates_in_one_go(console):
    client = logged_in(console)
    answer = upload(client, "\ufeffmember_id,card_uid,name,role,grid,balance\n"
                            "M001,0A00C0FFEE,卓玛,member,grid-3,99\n"      # takes M002's card: they swap
                            "M002,0A1B2C3D4E,扎西,volunteer,grid-1,\n"
                            "M010,,格桑,volunteer,grid-2,25\n"
                            "M011,12345678,曲珍,member,grid-2,\n")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page
    assert "已导入：新增 2 人，更新 2 人，0 人没有变化" in page and "1 人的 balance 列没有使用" in page
    with reading(console.engine) as conn:
        people = {m.id: m for m in register.listing(conn, active=None)}
    assert (people["M001"].card_uid, people["M001"].grid, people["M001"].balance) == ("0A00C0FFEE", "grid-3", 10)
    assert people["M002"].card_uid == "0A1B2C3D4E"
    assert (people["M010"].balance, people["M011"].balance, people["M011"].card_uid) == (25, 10, "12345678")
    assert console.woken == [None]


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_one(console):
    client = logged_in(console)
    before = snapshot(console)
    answer = upload(client, "member_id,card_uid,name,role,grid,balance\n"
                            "M020,,好人,member,grid-1,\n"                  # a good row: not imported either
                            "M021,,,member,grid-1,\n"                      # 3: no name
                            "M022,,某人,boss,grid-1,\n"                    # 4: no such role
                            "M020,,重复,member,grid-1,\n"                  # 5: the id of line 2
                            "M023,0A1B2C3D4E,某人,member,grid-1,\n"        # 6: M001's card
                            "M024,ZZZZ,某人,member,grid-1,\n"              # 7: not a card UID
                            "M025,,某人,member,grid-1,lots\n"              # 8: not a number
                            "M003,,王秀英,member,grid-2,\n"                # 9: deactivated
                            "X009,,外区,member,grid-2,\n"                  # 10: another district
                            "M026,12345678,某人,member,,\nM027,12345678,某人,member,,\n")   # 12: card of line 11
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400
    problems = re.findall(r"<li>(line \d+): ([^<]*)</li>", page)
    assert [line for line, _ in problems] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 12)], problems
    words = dict(problems)
    assert "a name is 1 to 64 characters" in words["line 3"] and "role 'boss'" in words["line 4"]
    assert "also on line 2" in words["line 5"] and "card …3D4E belongs to member M001" in words["line 6"]
    assert "4-20 hex digits" in words["line 7"] and "'lots' is not a whole number" in words["line 8"]
    assert "deactivated" in words["line 9"] and "district other-district" in words["line 10"]
    assert "card …5678 is also on line 11" in words["line 12"]
    assert "0A1B2C3D4E" not in page and "没有导入：9 个问题" in page
    assert snapshot(console) == before and console.woken == []
    header = upload(client, "id,name\nM030,某人\n")
    assert header.status_code == 400 and "the header lacks member_id, role" in header.get_data(as_text=True)
    latin = upload(client, "")
    assert "line 1: the header lacks" in latin.get_data(as_text=True)
    page = client.get("/register/import").data
    binary = client.post("/register/import", data={"csrf_token": token(page),
                                                   "csv": (io.BytesIO("卓玛".encode("gbk")), "roster.csv")},
                         content_type="multipart/form-data")
    assert "不是 UTF-8" in binary.get_data(as_text=True) and snapshot(console) == before
