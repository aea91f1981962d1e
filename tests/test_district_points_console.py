"""Members' points on the district console (Flask's test client over a real database file).

What district staff would see: one balance per member, a statement that
lists the entries of every station and of the district, an adjustment
only for a configured reason and within its largest amount (anything else
refused in words with nothing written), overdrafts flagged until an admin
marks them seen, and viewers who may look but not adjust.
"""

from __future__ import annotations

import re
import uuid

import pytest
from hub import console_client, csrf, district_toml
from sqlalchemy import func, select

from district import accounts, settings as district_settings
from district.db.engine import reading, writing
from district.db.people import ledger as ledger_table
from district.hub import open_database
from district.members import register
from district.points import ledger, overdraft
from district.registry import credentials
from district.web import create_app
from kiosk.base.clock import now_rfc3339, utc_now

A, B = "lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02"
PASSWORD = "correct horse battery"
REASONS = [{"id": "community_role", "label": {"zh": "社区任职加分", "en": "Community role"}, "max": 20},
           {"id": "correction", "label": {"zh": "更正", "en": "Correction"}, "max": 100}]


@pytest.fixture
def console(tmp_path):
    path = district_toml(tmp_path, 1883, None, balances={"overdraft": "allow", "reason": REASONS})
    settings = district_settings.load(path)
    engine = open_database(settings)
    for station, name in ((A, "八廓 V站"), (B, "吉崩岗 V站")):
        credentials.add(engine, settings, station, name)
    with writing(engine) as conn:
        for name, role in (("ada", "admin"), ("vic", "viewer")):
            accounts.create_user(conn, name, PASSWORD, role, utc_now())
        register.add(conn, member_id="M001", name="卓玛", role="member", grid="grid-1", card_uid="0A1B2C3D4E",
                     district="test-district", seed=10, by="ada", now=utc_now(), opening=30)
    woken = []
    app = create_app(settings, engine, wake=woken.append)
    app.woken, app.engine = woken, engine
    yield app
    engine.dispose()


token = csrf


def logged_in(app, name: str):
    return console_client(app, name)


def spend(app, station: str, amount: int, balance_after: int, seq: int) -> None:
    """A station's points.entry as ingest hands it to the ledger, and the overdraft check after it."""
    event = {"id": str(uuid.uuid4()), "seq": seq, "epoch": 1, "type": "points.entry", "ts": now_rfc3339(),
             "data": {"entry_id": str(uuid.uuid4()), "member_id": "M001", "amount": amount,
                      "reason": "redemption" if amount < 0 else "volunteer_hours", "author": "S001",
                      "balance_after": balance_after}}
    with writing(app.engine) as conn:
        recorded = ledger.record_station_entry(conn, station, event, utc_now())
        overdraft.check(conn, recorded, "allow", utc_now())


def entries(app) -> int:
    with reading(app.engine) as conn:
        return conn.execute(select(func.count()).select_from(ledger_table)).scalar()


def adjust(client, **form):
    page = client.get("/members/M001").data
    return client.post("/members/M001/adjust", data={"csrf_token": token(page), "note": "", **form},
                       follow_redirects=True).get_data(as_text=True)


def test_the_statement_lists_every_station_and_the_district_with_one_balance(console):
    spend(console, A, 5, 35, 1)
    spend(console, B, -20, 15, 1)
    client = logged_in(console, "vic")
    listing = client.get("/members/").get_data(as_text=True)
    assert "卓玛" in listing and '<td class="balance">15</td>' in listing and "0A1B2C3D4E" not in listing
    page = client.get("/members/M001").get_data(as_text=True)
    assert '<b id="balance">15</b>' in page
    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>\s*<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert rows == [("兑换", B, "-20", "15"), ("志愿服务时长", A, "+5", "35"), ("原有余额", "区级", "+30", "30")]
    assert "…2C3D4E" not in page and "…3D4E" in page                     # a card UID is shown masked
    assert "调整积分" not in page                                          # a viewer sees no adjustment form
    page = client.get("/members/M001").data
    refused = client.post("/members/M001/adjust", data={"csrf_token": token(page), "reason": "correction",
                                                        "amount": "5"})
    assert refused.status_code == 403 and entries(console) == 3


def test_an_adjustment_for_a_configured_reason_counts_at_once_and_wakes_the_rosters(console):
    client = logged_in(console, "ada")
    page = adjust(client, reason="community_role", amount="12", note="网格长")
    assert "已调整 +12 分，余额 42 分" in page and "调整：社区任职加分" in page and "网格长" in page
    assert console.woken == [None]
    page = adjust(client, reason="correction", amount="-2")
    assert '<b id="balance">40</b>' in page


@pytest.mark.parametrize("form, words", [
    ({"reason": "birthday", "amount": "5"}, "没有配置调整原因 birthday（可用：community_role, correction）"),
    ({"reason": "community_role", "amount": "21"}, "这个原因最多调整 20 分"),
    ({"reason": "community_role", "amount": "-21"}, "这个原因最多调整 20 分"),
    ({"reason": "correction", "amount": "0"}, "调整的积分必须是非零整数"),
    ({"reason": "correction", "amount": "two"}, "调整的积分必须是非零整数"),
])
def test_a_bad_adjustment_is_refused_in_words_and_writes_nothing(console, form, words):
    client = logged_in(console, "ada")
    page = adjust(client, **form)
    assert "没有调整：" + words in page
    assert entries(console) == 1 and '<b id="balance">30</b>' in page and console.woken == []


def test_a_deactivated_member_takes_no_adjustment(console):
    with writing(console.engine) as conn:
        register.deactivate(conn, "M001", "搬走了", by="ada", now=utc_now())
    client = logged_in(console, "ada")
    page = client.get("/members/M001").data
    answer = client.post("/members/M001/adjust", data={"csrf_token": token(page), "reason": "correction",
                                                       "amount": "5"}, follow_redirects=True)
    assert "成员 M001 已停用" in answer.get_data(as_text=True) and entries(console) == 1


def test_an_overdraft_is_flagged_until_an_admin_marks_it_seen(console):
    spend(console, A, -20, 10, 1)
    spend(console, B, -20, 10, 1)                 # both stations saw 30 while offline
    client = logged_in(console, "ada")
    listing = client.get("/members/").get_data(as_text=True)
    assert listing.count('<tr class="overdraft">') == 1 and "允许并标记：已核销" in listing
    assert '<td class="balance">0</td>' in listing
    found = re.search(r'/members/overdrafts/(\d+)/seen', listing).group(1)
    done = client.post(f"/members/overdrafts/{found}/seen", data={"csrf_token": token(listing.encode())},
                       follow_redirects=True).get_data(as_text=True)
    assert "已标记为已处理" in done and 'class="overdraft"' not in done
    again = client.post(f"/members/overdrafts/{found}/seen", data={"csrf_token": token(listing.encode())},
                        follow_redirects=True).get_data(as_text=True)
    assert f"没有未处理的透支记录 {found}" in again
