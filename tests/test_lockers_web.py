"""Locker screens: a resident taps a card and follows the door; staff see every slot and open one with a reason."""

from __future__ import annotations

from conftest import wait_until
from test_queue_web import sign_in
from test_web import csrf_token

from kiosk.base import outbox

ZHUOMA = "0A1B2C3D4E"


def test_borrow_on_screen_follows_the_door_to_the_loan(client, card, station):
    page = client.get("/lockers/borrow").get_data(as_text=True)
    assert 'data-card-mode="capture"' in page and 'data-on-card="/lockers/borrow/go"' in page
    tap = card.tap(ZHUOMA)
    page = client.get(f"/lockers/borrow/go?tap={tap}", follow_redirects=True).get_data(as_text=True)
    assert "U1" in page
    op_id = page.split("/lockers/op/")[1].split('"')[0]
    assert client.get(f"/lockers/borrow/go?tap={tap}").status_code == 302   # the card was used: a reload opens nothing
    assert wait_until(lambda: station.lockers.door("U1").value == "open")   # the simulated door springs open
    station.lockers.sim_item("U1", False)
    station.lockers.sim_close("U1")
    assert wait_until(lambda: station.locker_core.status(station.db(), op_id).phase == "done",
                      timeout=5)
    assert "借伞成功" in client.get(f"/lockers/op/{op_id}").get_data(as_text=True)
    assert [e.type for e in outbox.take(station.db()) if e.type.startswith("loan.")] == ["loan.started"]


def test_refusals_are_said_plainly(client, card):
    page = client.get(f"/lockers/borrow/go?tap={card.tap('9999999999')}")
    assert page.status_code == 409 and "先到服务台登记" in page.get_data(as_text=True)
    assert "这张卡没有存手机" in client.get(f"/lockers/collect/go?tap={card.tap(ZHUOMA)}").get_data(as_text=True)
    assert client.get("/lockers/nonsense").status_code == 404
    assert client.get("/lockers/op/not-an-op").status_code == 404
    token = csrf_token(client)
    assert client.post("/lockers/borrow/go", headers={"X-CSRFToken": token}).status_code == 405
    assert client.post("/lockers/return/go").status_code == 400       # no CSRF token


def test_staff_open_a_door_with_a_reason(client, card, station):
    assert client.get("/staff/lockers/").status_code == 302            # staff only
    sign_in(client, card)
    page = client.get("/staff/lockers/").get_data(as_text=True)
    assert 'data-slot="C2"' in page
    token = csrf_token(client)
    refused = client.post("/staff/lockers/C2/open", data={"reason": "nonsense"}, headers={"X-CSRFToken": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "请选择开门原因" in refused and station.lockers.relay_pulses("C2") == 0
    done = client.post("/staff/lockers/C2/open", data={"reason": "repair"}, headers={"X-CSRFToken": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "柜门 C2 已打开" in done
    opened = [e.data for e in outbox.take(station.db()) if e.type == "locker.opened"]
    assert [(d["slot"], d["reason"], d["by"]) for d in opened] == [("C2", "repair", "S001")]


def test_the_simulator_works_doors_and_item_sensors(client, station):
    token = csrf_token(client)
    page = client.post("/sim/door/U1/take", headers={"X-CSRFToken": token}).get_data(as_text=True)
    assert station.lockers.item("U1") is False and "Take item out" in page
    assert client.post("/sim/door/U1/nonsense", headers={"X-CSRFToken": token}).status_code == 404


def test_staff_see_each_loan_with_its_borrower_masked_and_reasons_that_fit_the_slot(client, card, station):
    page = client.get(f"/lockers/borrow/go?tap={card.tap(ZHUOMA)}", follow_redirects=True).get_data(as_text=True)
    op_id = page.split("/lockers/op/")[1].split('"')[0]
    assert wait_until(lambda: station.lockers.door("U1").value == "open")
    station.lockers.sim_item("U1", False)
    station.lockers.sim_close("U1")
    assert wait_until(lambda: station.locker_core.status(station.db(), op_id).phase == "done", timeout=5)
    sign_in(client, card)
    page = client.get("/staff/lockers/").get_data(as_text=True)
    loans = page.split('id="locker-loans"')[1].split("</table>")[0]
    assert 'data-kind="umbrella"' in loans and "卓*" in loans and "卓玛" not in page
    live = client.get("/staff/lockers/board").get_data(as_text=True)       # what the page reloads every 5 s
    assert "卓*" in live and "<html" not in live
    umbrella = page.split('data-slot="U1"')[1].split("</form>")[0]
    charging = page.split('data-slot="C1"')[1].split("</form>")[0]
    assert 'data-reason="restock"' in umbrella and 'data-reason="hand_over"' not in umbrella
    assert 'data-reason="hand_over"' in charging and 'data-reason="restock"' not in charging
    token = csrf_token(client)
    wrong = client.post("/staff/lockers/C1/open", data={"reason": "restock"}, headers={"X-CSRFToken": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "请选择开门原因" in wrong and station.lockers.relay_pulses("C1") == 0
