"""The points supermarket at the staff screens: cart, member tap, confirm once, receipt, void, stock."""

from __future__ import annotations

import re

from conftest import slips
from test_queue_web import sign_in
from test_web import csrf_token

from drivers import paper
from kiosk.members import ledger
from kiosk.base import outbox

MEMBER = "0A1B2C3D4E"          # 卓玛, 10 points in the demo


def put_in_cart(client, goods_id: str, times: int = 1) -> None:
    for _ in range(times):
        client.post(f"/staff/shop/cart/{goods_id}/add", data={"csrf_token": csrf_token(client)})


def tap_on_staff_screen(card, uid: str = MEMBER) -> str:
    """A staff screen is open (its notice stream in capture mode) when the member taps; the tap's id."""
    with card.station.bus.subscribe(mode="capture"):
        return card.tap(uid)


def confirm_page(client, card, uid: str = MEMBER) -> str:
    client.get("/staff/shop/checkout")
    return client.get(f"/staff/shop/confirm?tap={tap_on_staff_screen(card, uid)}").get_data(as_text=True)


def test_a_redemption_from_cart_to_printed_receipt(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "soap", 2)
    page = confirm_page(client, card)
    assert "现有积分：10 分" in page and "本次共计：10 分" in page and "兑换后余额：0 分" in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_token(client), "key": key, "price": "1", "total": "0"}   # tampered extras
    done = client.post("/staff/shop/confirm", data=form, follow_redirects=True).get_data(as_text=True)
    assert "兑换成功" in done and "data-print-job" in done
    receipt = paper.text_of(slips(station)[-1])
    assert "洗衣皂 ×2  10 分" in receipt and "兑换后余额：0 分" in receipt and "会员：卓*" in receipt
    assert "经办：李娜" in receipt and "卓玛" not in receipt
    assert paper.qr_payloads(station.printer.jobs[-1])[0].startswith("vstation:redemption:")
    tap_on_staff_screen(card)
    client.post("/staff/shop/confirm", data=form)                     # a retried confirm
    assert ledger.balance(station.db(), "M001") == 0
    assert [e.type for e in outbox.take(station.db())].count("redemption.made") == 1


def test_a_cart_over_the_balance_is_refused_with_the_reason(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "rice")
    page = confirm_page(client, card)
    assert 'id="refusal"' in page and "积分不够：需要 20 分，现有 10 分，还差 10 分。" in page
    assert outbox.depth(station.db()) == 0
    client.get("/lang/en")
    assert "Not enough points: this needs 20, the member has 10, 10 short." in confirm_page(client, card)


def redeem(client, card) -> str:
    page = confirm_page(client, card)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    return client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key},
                       follow_redirects=True).get_data(as_text=True)


def test_short_stock_is_refused_naming_the_goods_and_what_is_left(client, card, station):
    conn = station.db()
    sign_in(client, card)
    put_in_cart(client, "soap", 2)
    conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts) VALUES ('soap', -39, 'test', "
                 "'2026-01-01T00:00:00.000+00:00')")                   # another desk took all but one meanwhile
    assert "洗衣皂库存不够：只剩 1 件。" in confirm_page(client, card)
    client.get("/lang/bo")
    assert "གོས་འཁྲུད་ཡི་རན།" in confirm_page(client, card)           # the goods by its Tibetan name


def test_a_limit_says_the_goods_its_limit_and_how_many_are_left(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "oil")
    assert "兑换成功" in redeem(client, card)                           # one of two this month, 0 points left
    put_in_cart(client, "oil", 2)
    page = confirm_page(client, card)
    assert "食用油 1L超过限兑数量（每人每月限兑 2 件），这次还能兑 1 件。" in page
    assert ledger.balance(station.db(), "M001") == 0


def test_void_from_todays_list_once(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "towel")
    page = confirm_page(client, card)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key})
    today = client.get("/staff/shop/today").get_data(as_text=True)
    rid = re.search(r'data-redemption="([^"]+)"', today).group(1)
    token = csrf_token(client)
    after = client.get(client.post(f"/staff/shop/void/{rid}", data={"csrf_token": token, "reason": "returned"})
                       .headers["Location"]).get_data(as_text=True)
    assert "已作废" in after and ledger.balance(station.db(), "M001") == 10
    again = client.get(client.post(f"/staff/shop/void/{rid}", data={"csrf_token": token, "reason": "returned"})
                       .headers["Location"]).get_data(as_text=True)
    assert "这笔兑换已经作废过了" in again
    assert [e.type for e in outbox.take(station.db())].count("redemption.voided") == 1


def test_stock_received_at_the_stock_screen(client, card, station):
    sign_in(client, card)
    client.post("/staff/shop/stock", data={"csrf_token": csrf_token(client), "goods": "rice", "kind": "received",
                                           "quantity": "5"})
    assert "库存已更新：现有 13 件" in client.get("/staff/shop/stock").get_data(as_text=True)
    client.post("/staff/shop/stock", data={"csrf_token": csrf_token(client), "goods": "rice", "kind": "received",
                                           "quantity": "-5"})
    assert [e.data["delta"] for e in outbox.take(station.db()) if e.type == "stock.adjusted"] == [5]


def test_the_shop_needs_staff_and_the_report_counts_it(client, card):
    assert client.get("/staff/shop/").headers["Location"].endswith("/staff/")
    sign_in(client, card)
    put_in_cart(client, "soap")
    page = confirm_page(client, card)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key})
    report = client.get("/staff/report").get_data(as_text=True)
    assert re.search(r"兑换笔数</dt><dd>1<", report) and re.search(r"兑出积分</dt><dd>5<", report)
    # the demo's three members joined today with 10 base points each: that is not points issued today
    assert 'id="points-issued">0<' in report and 'id="points-seeded">3 人，共 30 分<' in report


def test_points_earned_today_are_issued_and_base_points_are_apart(client, card, station):
    station.adjust_points("M002", "community-role", staff_id="S001", key="k1")      # +2 by staff
    station.shop.redeem(station.db(), "M001", [("soap", 1)], staff_id="S001", key="r1")
    summary = station.daily_report().shop
    assert (summary["points_issued"], summary["seeded"], summary["new_members"]) == (2, 30, 3)
    assert station.print_daily_report()
    printed = paper.text_of(station.printer.jobs[-1])
    assert "发放 2 分" in printed and "新成员 3 人，基础分共 30 分（不计入发放）" in printed


def test_the_points_history_names_each_entry_in_words_never_its_code(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "soap")
    redeem(client, card)
    redemption = station.db().execute("SELECT id FROM redemptions").fetchone()[0]
    client.post(f"/staff/shop/void/{redemption}", data={"csrf_token": csrf_token(client), "reason": "entry_error"})
    for lang, words in (("zh", ["新成员基础分", "积分兑换", "兑换作废，积分退回"]),
                        ("en", ["New member base points", "Redeem points", "Exchange voided, points back"])):
        client.get(f"/lang/{lang}")
        html = client.get(f"/me?tap={card.tap(MEMBER)}").get_data(as_text=True)
        history = html.split('id="points-history"', 1)[1].split("</table>", 1)[0]
        shown = re.sub(r"<[^>]+>", " ", history)                       # what a person reads, not the attributes
        assert not re.search(r"\b(redemption|void|seed|adjust:\w+)\b", shown), shown
        assert all(w in shown for w in words), shown
