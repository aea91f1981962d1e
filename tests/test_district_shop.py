"""The points supermarket on the district console: the catalogue, stock per station, low-stock alerts.

The catalogue is published to every station as the `catalog` document, a
new version per change, and a bad good publishes nothing. Stock comes from
the stations' packs through the hub's own ingest: a count sets it, a
redemption takes off, a void puts back, and a redemption that arrives after
a later count is not taken off twice.
"""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest
from hub import console_client, csrf, district_toml

from district import accounts, documents, settings as district_settings
from district.db.engine import reading, writing
from district.hub import open_database
from district.ingest.unit import Ingest, Received
from district.projections import Projector
from district.registry import credentials
from district.web import create_app
from kiosk.base.clock import now_rfc3339, utc_now

A, B = "lhasa-cg-barkor-01", "lhasa-cg-jibenggang-02"
PASSWORD = "correct horse battery"


@pytest.fixture
def console(tmp_path, db_url):
    settings = district_settings.load(district_toml(tmp_path, 1883, db_url, shop={"low_stock": 3}))
    engine = open_database(settings)
    credentials.add(engine, settings, A, "八廓 V站")
    credentials.add(engine, settings, B, "吉崩岗 V站")
    with writing(engine) as conn:
        for name, role in (("ada", "admin"), ("vic", "viewer")):
            accounts.create_user(conn, name, PASSWORD, role, utc_now())
    woken: list = []
    app = create_app(settings, engine, wake=woken.append)
    app.woken, app.engine = woken, engine
    app.ingest = Ingest(engine, settings.ingest, projector=Projector(settings.balances))
    yield app
    engine.dispose()


token = csrf


def logged_in(app, name: str = "ada"):
    return console_client(app, name)


def publish(client, **form) -> str:
    page = client.get("/shop/").data
    fields = {"name_bo": "", "name_en": "", "limit_qty": "0", "limit_period": "month", **form}
    answer = client.post("/shop/goods", data={"csrf_token": token(page), **fields}, follow_redirects=True)
    return html.unescape(answer.get_data(as_text=True))


def catalog(app) -> documents.Document | None:
    with reading(app.engine) as conn:
        return documents.latest(conn, "catalog", documents.ALL)


def send(app, station: str, *events: tuple[int, str, dict]) -> None:
    pack = [{"id": str(uuid.uuid4()), "seq": seq, "epoch": 1, "type": kind, "ts": now_rfc3339(), "data": data}
            for seq, kind, data in events]
    app.ingest.handle(Received(f"vstation/v1/{station}/events", json.dumps({"events": pack,
                                                                           "ts": now_rfc3339()}).encode()))


def counted(seq: int, goods: str, stock: int, delta: int = 0) -> tuple[int, str, dict]:
    return seq, "stock.adjusted", {"goods_id": goods, "delta": delta, "stock": stock, "reason": "counted",
                                   "staff_id": "S001"}


def redeemed(seq: int, goods: str, qty: int, redemption: str | None = None) -> tuple[int, str, dict]:
    return seq, "redemption.made", {"redemption_id": redemption or str(uuid.uuid4()), "member_id": "M001",
                                    "staff_id": "S001", "items": [{"goods_id": goods, "qty": qty, "unit_price": 20}],
                                    "total": 20 * qty, "balance_after": 10}


def stock_cell(page: str, goods: str, column: int) -> str:
    row = re.search(rf'<tr data-goods="{goods}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)[-2 + column].strip()


def test_the_catalogue_is_published_to_every_station_a_version_per_change(console):
    client = logged_in(console)
    page = publish(client, id="rice", name_zh="大米 5kg", name_en="Rice 5 kg", price="20", limit_qty="1")
    assert "商品目录第 1 版已发布给所有站点" in page and console.woken == [None]
    publish(client, id="soap", name_zh="洗衣皂", price="5")
    page = publish(client, id="rice", name_zh="大米 5kg", price="25", limit_qty="1", limit_period="week")
    doc = catalog(console)
    assert (doc.version, doc.target) == (3, "*")
    assert doc.body["goods"] == [
        {"id": "rice", "name": {"zh": "大米 5kg"}, "price": 25, "limit_qty": 1, "limit_period": "week", "active": True},
        {"id": "soap", "name": {"zh": "洗衣皂"}, "price": 5, "limit_qty": 0, "limit_period": "month", "active": True}]
    assert "每周 1 件" in page
    listing = client.get("/shop/").data
    off = client.post("/shop/goods/soap/active", data={"csrf_token": token(listing), "active": "0"},
                      follow_redirects=True).get_data(as_text=True)
    assert "已下架" in off and catalog(console).body["goods"][1]["active"] is False


@pytest.mark.parametrize("form, words", [
    ({"id": "Rice!", "name_zh": "大米", "price": "20"}, "an id is 1-32 of a-z"),
    ({"id": "rice", "name_zh": " ", "price": "20"}, "a good needs its Chinese name"),
    ({"id": "rice", "name_zh": "大米", "price": "0"}, "a price is 1 to 100000 points"),
    ({"id": "rice", "name_zh": "大米", "price": "twenty"}, "price 'twenty' is not a whole number"),
    ({"id": "rice", "name_zh": "大米", "price": "20", "limit_qty": "100"}, "a limit is 0 (none) to 99"),
])
def test_a_bad_good_is_refused_in_words_and_publishes_nothing(console, form, words):
    client = logged_in(console)
    page = publish(client, **form)
    assert "没有发布：商品资料不正确" in page and words in page
    assert catalog(console) is None and console.woken == []


def test_a_viewer_sees_the_shop_but_cannot_publish(console):
    client = logged_in(console, "vic")
    page = client.get("/shop/")
    assert page.status_code == 200 and b'action="/shop/goods"' not in page.data
    assert client.post("/shop/goods", data={"csrf_token": token(page.data), "id": "rice", "name_zh": "大米",
                                            "price": "20"}).status_code == 403
    assert catalog(console) is None


def test_stock_follows_counts_redemptions_and_voids_and_raises_low_stock(console):
    client = logged_in(console)
    publish(client, id="rice", name_zh="大米 5kg", price="20")
    publish(client, id="soap", name_zh="洗衣皂", price="5")
    voided = str(uuid.uuid4())
    send(console, A, counted(1, "rice", 10, 10), redeemed(2, "rice", 2, voided))
    send(console, A, (3, "redemption.voided", {"redemption_id": voided, "member_id": "M001", "staff_id": "S001",
                                               "total": 40, "reason": "拿错了"}))
    send(console, A, counted(5, "soap", 12, 12))
    send(console, A, redeemed(4, "soap", 2))          # written before the count of seq 5: already in it
    send(console, A, redeemed(6, "rice", 8))
    send(console, B, counted(1, "soap", 2, 2))
    page = html.unescape(client.get("/shop/").get_data(as_text=True))
    assert stock_cell(page, "rice", 0) == "2" and stock_cell(page, "rice", 1) == "未盘点"
    assert stock_cell(page, "soap", 0) == "12" and stock_cell(page, "soap", 1) == "2"
    alerts = page.split('id="low-stock"')[1].split("</section>")[0]
    assert "八廓 V站 · 大米 5kg · 剩 2 件" in alerts and "吉崩岗 V站 · 洗衣皂 · 剩 2 件" in alerts
    assert alerts.count("<li") == 2
    listing = client.get("/shop/").data
    client.post("/shop/goods/soap/active", data={"csrf_token": token(listing), "active": "0"})
    page = client.get("/shop/").get_data(as_text=True)
    assert page.split('id="low-stock"')[1].split("</section>")[0].count("<li") == 1   # off offer: no alert
