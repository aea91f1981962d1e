"""Forms bound to what they showed: a confirm charges the member and cart it quoted, a points form the member
it named; one-time keys belong to one member and body, an empty key is none; deductions stop at zero."""

from __future__ import annotations

import re

import pytest
from test_queue_web import sign_in
from test_shop_web import confirm_page, put_in_cart, tap_on_staff_screen
from test_web import csrf_token

from kiosk.base import outbox, store
from kiosk.members import ledger
from kiosk.members.ledger import LedgerError
from kiosk.shop.supermarket import ShopError

X, Y = "0A1B2C3D4E", "1234ABCD56"          # 卓玛 (M001) and 王秀英 (M003), 10 points each


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', page).group(1)


def test_a_confirm_charges_the_member_it_quoted_not_the_card_tapped_after(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "soap")
    page = confirm_page(client, card, X)
    assert "卓玛 兑换" in page
    tap_on_staff_screen(card, Y)                                       # Y taps while X's quote is on screen …
    done = client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key_of(page)},
                       follow_redirects=True)
    assert "兑换成功" in done.get_data(as_text=True)                     # … and the confirm still charges X
    assert (ledger.balance(station.db(), "M001"), ledger.balance(station.db(), "M003")) == (5, 10)
    made = [e.data for e in outbox.take(station.db()) if e.type == "redemption.made"]
    assert [(m["member_id"], m["total"]) for m in made] == [("M001", 5)]


def test_a_confirm_charges_the_cart_it_quoted(client, card, station):
    sign_in(client, card)
    put_in_cart(client, "soap")
    page = confirm_page(client, card, X)
    put_in_cart(client, "towel")                                       # the cart changes behind the quote
    client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key_of(page)})
    assert ledger.balance(station.db(), "M001") == 5


def test_a_points_form_applies_to_the_member_it_named(client, card, station):
    sign_in(client, card)
    page = client.get(f"/staff/points/member?tap={tap_on_staff_screen(card, X)}").get_data(as_text=True)
    assert "卓玛：现有 10 分" in page
    tap_on_staff_screen(card, Y)
    client.post("/staff/points/member", data={"csrf_token": csrf_token(client), "key": key_of(page),
                                              "item": "community-role"})
    assert (ledger.balance(station.db(), "M001"), ledger.balance(station.db(), "M003")) == (12, 10)


@pytest.mark.parametrize("path", ["/staff/shop/confirm", "/staff/points/member"])
def test_an_empty_or_foreign_key_is_refused_and_changes_nothing(client, card, station, path):
    sign_in(client, card)
    put_in_cart(client, "soap")
    if path.endswith("confirm"):
        confirm_page(client, card, X)
    else:
        client.get(f"/staff/points/member?tap={tap_on_staff_screen(card, X)}")
    for key in ("", "0f8e4c2a-3b1d-4e5f-9a6b-7c8d9e0f1a2b"):
        response = client.post(path, data={"csrf_token": csrf_token(client), "key": key, "item": "community-role"})
        assert "页面已过期" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert ledger.balance(station.db(), "M001") == 10 and outbox.depth(station.db()) == 0


def test_the_core_refuses_an_empty_key_and_a_key_used_for_another_member_or_cart(station):
    conn, shop = station.db(), station.shop
    for key in ("", "  "):
        with pytest.raises(ShopError) as refused:
            shop.redeem(conn, "M001", [("soap", 1)], staff_id="S001", key=key)
        assert (refused.value.code, refused.value.status) == ("no_key", 400)
        with pytest.raises(LedgerError, match="one-time key"), store.transaction(conn):
            ledger.add(conn, "M001", 1, "test", key=key, author="S001")
    first = shop.redeem(conn, "M001", [("soap", 1)], staff_id="S001", key="shop:k1")
    assert shop.redeem(conn, "M001", [("soap", 1)], staff_id="S001", key="shop:k1").id == first.id
    for member, cart in (("M003", [("soap", 1)]), ("M001", [("soap", 2)]), ("M001", [("towel", 1)])):
        with pytest.raises(ShopError) as refused:
            shop.redeem(conn, member, cart, staff_id="S001", key="shop:k1")
        assert (refused.value.code, refused.value.status) == ("key_reused", 422)
    with pytest.raises(LedgerError) as refused:
        station.adjust_points("M003", "community-role", staff_id="S001", key=f"redemption:{first.id}")
    assert refused.value.code == "key_reused"
    assert (ledger.balance(conn, "M001"), ledger.balance(conn, "M003")) == (5, 10)


def test_an_idempotency_key_reused_with_another_body_is_refused_with_422(client, station):
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post("/api/v1/tickets", json={"service": "consult"}, headers=headers)
    again = client.post("/api/v1/tickets", json={"service": "consult", "priority": False}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200) and first.json["id"] == again.json["id"]
    for body in ({"service": "print"}, {"service": "consult", "priority": True}):
        refused = client.post("/api/v1/tickets", json=body, headers=headers)
        assert refused.status_code == 422 and refused.json["error"] == "key_reused"
    assert [e.type for e in outbox.take(station.db())].count("ticket.issued") == 1


def test_a_staff_deduction_stops_at_zero_with_the_shortfall_unless_its_item_allows(client, card, station):
    conn = station.db()
    for n in range(5):                                                 # 10 points, -2 each: 0 left
        station.adjust_points("M001", "absent", staff_id="S001", key=f"t:{n}")
    with pytest.raises(LedgerError) as refused:
        station.adjust_points("M001", "absent", staff_id="S001", key="t:5")
    assert refused.value.code == "over_balance" and refused.value.details == {"shortfall": 2, "balance": 0}
    station.adjust_points("M001", "poor-service", staff_id="S001", key="t:6")   # allow_negative = true
    assert ledger.balance(conn, "M001") == -2
    sign_in(client, card)
    page = client.get(f"/staff/points/member?tap={tap_on_staff_screen(card, X)}").get_data(as_text=True)
    response = client.post("/staff/points/member", data={"csrf_token": csrf_token(client), "key": key_of(page),
                                                          "item": "absent"})   # refused at once, not asked first
    assert "积分不够扣：现有 -2 分，还差 4 分" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert ledger.balance(conn, "M001") == -2


def test_a_staff_deduction_is_asked_once_more_and_back_deducts_nothing(client, card, station):
    conn = station.db()
    sign_in(client, card)
    page = client.get(f"/staff/points/member?tap={tap_on_staff_screen(card, X)}").get_data(as_text=True)
    asked = client.post("/staff/points/member", data={"csrf_token": csrf_token(client), "key": key_of(page),
                                                       "item": "absent"}).get_data(as_text=True)
    assert "给 卓玛 扣 2 分（无故不参加活动）吗？扣分后余额 8 分。" in asked
    assert ledger.balance(conn, "M001") == 10                          # asked, nothing deducted yet
    back = client.get("/staff/points/member").get_data(as_text=True)  # "不扣，返回": the same member's items
    assert "卓玛" in back and ledger.balance(conn, "M001") == 10
    response = client.post("/staff/points/member", data={"csrf_token": csrf_token(client), "key": key_of(asked),
                                                          "item": "absent", "confirmed": "1"})
    assert "卓玛：-2 分，现有 8 分" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert ledger.balance(conn, "M001") == 8
