"""Bad input at the kiosk gets a clear answer and changes nothing: deep JSON, odd digits, foreign hosts."""

from __future__ import annotations

import logging
import re

import pytest
from test_queue_web import sign_in
from test_web import csrf_token

from kiosk.base import outbox
from kiosk.shop.supermarket import goods

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"service": ' + "[" * 5000 + "]" * 5000 + "}"
ODD_NUMBERS = ("１２３", "٣", "1_000", "+4", " 7 ", "7 ", "0x10", "1e3", "²", "-3", "")


def api_routes(app) -> list[tuple[str, str, bool]]:
    """Every API path with every method: (method, path, is it a GET the path serves, which ignores a body)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            found += [(method, rule.rule, method == "GET" and "GET" in rule.methods)
                      for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    return found


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"service": "consult", "x": ' + "1" * 5000 + "}",
                                  '{"service": "' + "x" * 70_000 + '"}'])
def test_deep_or_huge_json_on_every_api_route_is_a_json_4xx(app, client, station, body):
    for method, path, reads_no_body in api_routes(app):
        response = client.open(path, method=method, data=body, content_type="application/json",
                               headers={"Idempotency-Key": "deep"})
        if reads_no_body:                                # a GET reads no body: it answers as ever
            assert response.status_code in (200, 404), (method, path)
            continue
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert set(response.get_json()) == {"error", "message"}, (method, path)
    assert outbox.depth(station.db()) == 0


def test_a_foreign_host_on_the_api_gets_the_json_error(client):
    response = client.get("/api/v1/health", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "untrusted_host"
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400      # screens: plain words


def stock_form(client, **form):
    return client.post("/staff/shop/stock", data={"csrf_token": csrf_token(client), "goods": "rice", **form})


def test_a_stock_quantity_is_plain_ascii_digits_only(client, card, station):
    sign_in(client, card)
    for quantity in ODD_NUMBERS:
        for kind in ("received", "counted"):
            stock_form(client, kind=kind, quantity=quantity)
            assert goods(station.db(), "rice").stock == 8, (kind, quantity)
    page = client.get("/staff/shop/stock").get_data(as_text=True)
    assert "数量不对" in page
    stock_form(client, kind="received", quantity="12")
    assert goods(station.db(), "rice").stock == 20
    assert [e.data["delta"] for e in outbox.take(station.db()) if e.type == "stock.adjusted"] == [12]


def test_a_stock_adjustment_without_a_valid_kind_is_refused(client, card, station):
    sign_in(client, card)
    for form in ({"quantity": "5"}, {"kind": "", "quantity": "5"}, {"kind": "delivery", "quantity": "5"}):
        stock_form(client, **form)
        assert goods(station.db(), "rice").stock == 8, form            # not turned into a count of 5
    assert "请选择入库（增加）或盘点（实际数量）" in client.get("/staff/shop/stock").get_data(as_text=True)
    assert outbox.take(station.db()) == []


def done_ticket(station):
    taken = station.take_ticket("consult")
    station.counter_action("call_next", "1", staff_id="S001")
    station.counter_action("done", "1", staff_id="S001", ticket_id=taken.issued.ticket.id)
    return taken.issued.ticket.id


def test_a_rating_is_plain_ascii_digits_only(client, station):
    ticket_id = done_ticket(station)
    for stars in ("５", "٤", "+5", " 5", "5_0", "", "0", "6"):
        response = client.post(f"/queue/rate/{ticket_id}", data={"csrf_token": csrf_token(client), "stars": stars})
        assert response.status_code == 422, stars
    assert station.queue.get(station.db(), ticket_id).rating is None
    assert client.post(f"/queue/rate/{ticket_id}", data={"csrf_token": csrf_token(client), "stars": "5"},
                       follow_redirects=True).status_code == 200
    assert station.queue.get(station.db(), ticket_id).rating == 5


@pytest.mark.parametrize("value, priority", [("0", False), ("", False), ("false", False), ("1", True)])
def test_priority_0_on_queue_take_is_not_priority(client, station, value, priority):
    page = client.get("/queue/").get_data(as_text=True)
    key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
    client.post("/queue/take", data={"csrf_token": csrf_token(client), "request_key": key, "service": "consult",
                                     "priority": value})
    [issued] = [e for e in outbox.take(station.db()) if e.type == "ticket.issued"]
    assert issued.data["priority"] is priority


def test_the_services_page_asks_for_priority_only_when_told_so(client):
    assert "★ 优先取号 ★" in client.get("/queue/?priority=1").get_data(as_text=True)
    assert "★ 优先取号 ★" not in client.get("/queue/?priority=0").get_data(as_text=True)


def test_a_pin_in_other_digits_is_wrong(client, card, station):
    card.tap("5A5A5A5A01")
    client.post("/staff/pin", data={"csrf_token": csrf_token(client), "pin": "١٢٣٤"})   # 1234 in Arabic digits
    assert client.get("/staff/menu").status_code == 302                                   # not signed in


def test_the_simulator_refuses_a_uid_that_is_not_hex_and_never_logs_it(client, station, caplog):
    taps: list[str] = []
    station.reader.when_card = taps.append
    token = csrf_token(client)
    with caplog.at_level(logging.DEBUG):
        for uid in ("NOT-HEX-SECRET-42", "ZZZZ9999", "12", "0A1B 2C3D\x00", "Ａ1B2C3D4E"):
            response = client.post("/sim/tap", data={"uid": uid}, headers={"X-CSRFToken": token})
            assert response.status_code == 422, uid
            assert uid not in response.get_data(as_text=True)
    assert taps == []
    assert "SECRET" not in caplog.text and "ZZZZ9999" not in caplog.text
    assert client.post("/sim/tap", data={"uid": "0a1b2c3d4e"}, headers={"X-CSRFToken": token}).status_code == 200
    assert taps == ["0A1B2C3D4E"]


def test_the_simulator_lists_members_without_their_card_numbers(client, station):
    page = client.get("/sim/").get_data(as_text=True)
    assert "卓玛" in page and "…3D4E" in page
    for uid in ("0A1B2C3D4E", "0A00C0FFEE", "1234ABCD56", "5A5A5A5A01"):
        assert uid not in page
    taps: list[str] = []
    station.reader.when_card = taps.append
    response = client.post("/sim/tap", data={"member": "M001"}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200 and "0A1B2C3D4E" not in response.get_data(as_text=True)
    assert taps == ["0A1B2C3D4E"]
    assert client.post("/sim/tap", data={"member": "nobody"},
                       headers={"X-CSRFToken": csrf_token(client)}).status_code == 422


def test_a_paper_job_index_is_plain_digits(client, station):
    station.print_test_page()
    assert client.get("/sim/paper.png?job=0").status_code == 200
    assert client.get("/sim/paper.png?job=-1").status_code == 200
    for job in ("٠", "+0", " 0", "1", "-2"):
        assert client.get(f"/sim/paper.png?job={job}").status_code == 404, job


@pytest.mark.parametrize("method, path", [("TRACE", "/api/v1/tickets"), ("DELETE", "/api/v1/health"),
                                          ("PUT", "/api/v1/queue"), ("POST", "/guide")])
def test_a_method_a_path_does_not_serve_is_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == ({"POST", "OPTIONS"} if path.endswith("tickets") else {"GET", "HEAD", "OPTIONS"})
    if path.startswith("/api/"):
        assert response.get_json()["error"] == "method_not_allowed"


@pytest.mark.parametrize("key, status", [("k" * 100, 201), ("550e8400-e29b-41d4-a716-446655440000", 201),
                                         ("", 422), ("k" * 101, 422), ("a b", 422), ("\u00e4", 422)])
def test_an_idempotency_key_is_what_the_document_says(client, key, status):
    pattern = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/tickets"]["post"]["parameters"][0]
    assert pattern["schema"]["pattern"] == "^[!-~]{1,100}$" and pattern["schema"]["maxLength"] == 100
    response = client.post("/api/v1/tickets", json={"service": "consult"},
                           headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert response.get_json()["error"] == "bad_idempotency_key"


def test_the_document_names_this_stations_services(client, station):
    doc = client.get("/api/v1/openapi.json").get_json()
    service = doc["components"]["schemas"]["TicketRequest"]["properties"]["service"]
    assert service["enum"] == [s.id for s in station.config.services]
    assert set(doc["paths"]["/api/v1/tickets"]["post"]["responses"]) == {"200", "201", "400", "404", "409", "413",
                                                                          "415", "422", "503"}
