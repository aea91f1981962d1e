"""The queue at the kiosk: residents take and rate tickets, staff sign in and call them; the JSON API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import print_outcome, slips, wait_until
from test_web import csrf_token

from drivers import paper
from kiosk.base import outbox
from kiosk.base.clock import rfc3339, utc_now

STAFF_CARD, MEMBER_CARD = "5A5A5A5A01", "0A1B2C3D4E"


def take_at_kiosk(client, service: str = "consult", *, key: str | None = None):
    page = client.get("/queue/").get_data(as_text=True)
    key = key or re.search(r'name="request_key" value="([^"]+)"', page).group(1)
    return client.post("/queue/take", data={"csrf_token": csrf_token(client), "request_key": key,
                                            "service": service})


def sign_in(client, card, pin: str = "1234"):
    """Tap the staff card on the sign-in screen (which goes on with the tap's id), then key in the PIN."""
    client.get(f"/staff/pin?tap={card.tap(STAFF_CARD)}")
    return client.post("/staff/pin", data={"csrf_token": csrf_token(client), "pin": pin})


def test_a_resident_takes_a_number_and_gets_a_printed_ticket(client, station):
    response = take_at_kiosk(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A001" in page and "您是下一位" in page and "data-print-job" in page
    printed = slips(station)[-1]
    text = paper.text_of(printed)
    assert "A001" in text and "咨询服务" in text and "绕赛社区 V站" in text
    ticket_id = re.search(r'data-ticket="([^"]+)"', page).group(1)
    assert paper.qr_payloads(printed) == [f"vstation:ticket:{ticket_id}"]
    assert print_outcome(station, ticket_id).state.value == "printed"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请取走打印出来的号票" in page and 'data-print-state="printed"' in page


def test_a_double_tap_on_the_ticket_button_gives_one_ticket(client, station):
    page = client.get("/queue/").get_data(as_text=True)
    key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
    first = take_at_kiosk(client, key=key).headers["Location"]
    second = take_at_kiosk(client, key=key).headers["Location"]
    assert first == second
    print_outcome(station, first.rsplit("/", 1)[1])
    assert len(station.printer.jobs) == 1
    assert [e.type for e in outbox.take(station.db())] == ["ticket.issued"]


def test_the_ticket_is_printed_in_the_residents_language_too(client, station):
    client.get("/lang/en")
    take_at_kiosk(client, "print")
    text = paper.text_of(slips(station)[-1])
    assert "打字复印" in text and "Typing and copying" in text and "next" in text.lower()


def test_without_paper_the_ticket_is_still_issued_and_shown_large_with_its_qr(client, station):
    station.printer.pull_paper()
    location = take_at_kiosk(client).headers["Location"]
    assert print_outcome(station, location.rsplit("/", 1)[1]).fault == "paper_out"
    page = client.get(location).get_data(as_text=True)
    assert "A001" in page and 'id="not-printed"' in page and "<svg" in page
    station.printer.load_paper()
    assert station.printer.jobs == []            # never printed late
    types = [e.type for e in outbox.take(station.db())]
    assert types == ["ticket.issued", "printer.fault"]


def test_api_takes_a_ticket_once_per_idempotency_key(client, station):
    response = client.post("/api/v1/tickets", json={"service": "consult"}, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == "A001" and body["position"] == 1 and body["estimated_wait_s"] == 0
    assert body["printed"] in ("queued", "sending", "printed") and body["service"] == "consult"
    assert wait_until(lambda: client.get(f"/api/v1/tickets/{body['id']}").get_json()["printed"] == "printed", 10)
    assert client.get(f"/api/v1/tickets/{body['id']}").get_json()["print_fault"] is None
    again = client.post("/api/v1/tickets", json={"service": "consult"}, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    second = client.post("/api/v1/tickets", json={"service": "consult", "priority": True}).get_json()
    assert second["number"] == "A002" and second["position"] == 1       # priority goes first
    queue = client.get("/api/v1/queue").get_json()
    consult = next(s for s in queue["services"] if s["service"] == "consult")
    assert consult["waiting"] == 2


def test_api_prints_the_ticket_in_the_language_asked_for(client, station):
    body = client.post("/api/v1/tickets", json={"service": "consult", "language": "en"}).get_json()
    assert print_outcome(station, body["id"]).state.value == "printed"
    text = paper.text_of(station.printer.jobs[-1])
    assert "咨询服务" in text and "Consultation" in text and body["number"] in text


def test_api_reports_a_paper_out_job_as_failed_and_it_stays_failed(client, station):
    station.printer.pull_paper()
    body = client.post("/api/v1/tickets", json={"service": "consult"}).get_json()
    assert print_outcome(station, body["id"]).fault == "paper_out"
    station.printer.load_paper()
    again = client.get(f"/api/v1/tickets/{body['id']}").get_json()
    assert (again["printed"], again["print_fault"]) == ("failed", "paper_out")
    assert station.printer.jobs == []
    assert client.get("/api/v1/tickets/no-such-ticket").status_code == 404


@pytest.mark.parametrize("kwargs, status, code", [
    ({"json": {"service": "haircut"}}, 404, "unknown_service"),
    ({"json": {"service": 7}}, 422, "bad_service"),
    ({"json": {"service": "consult", "priority": "yes"}}, 422, "bad_priority"),
    ({"json": {"service": "consult", "price": 1}}, 422, "unknown_field"),
    ({"json": {"service": "consult", "language": "fr"}}, 422, "bad_language"),
    ({"json": {"service": "consult", "language": ["bo"]}}, 422, "bad_language"),
    ({"json": ["consult"]}, 400, "bad_json"),
    ({"data": "{not json", "content_type": "application/json"}, 400, "bad_json"),
    ({"data": {"service": "consult"}}, 415, "not_json"),
])
def test_bad_ticket_requests_are_refused_and_write_nothing(client, station, kwargs, status, code):
    response = client.post("/api/v1/tickets", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert outbox.depth(station.db()) == 0 and station.printer.jobs == []


def test_staff_pages_need_a_signed_in_staff_member(client):
    assert client.get("/staff/menu").headers["Location"].endswith("/staff/")
    assert client.get("/staff/pin").headers["Location"].endswith("/staff/")   # no card tapped yet


def test_a_member_card_cannot_sign_in_as_staff(client, card):
    response = client.get(f"/staff/pin?tap={card.tap(MEMBER_CARD)}")
    assert response.status_code == 403 and "这不是工作人员卡" in response.get_data(as_text=True)


def test_wrong_pins_cost_growing_waits_and_the_right_one_signs_in(client, card, station):
    client.get("/staff/")
    assert "李娜，请输入密码" in client.get(f"/staff/pin?tap={card.tap(STAFF_CARD)}").get_data(as_text=True)
    for _ in range(2):
        assert "密码不对" in client.get(sign_in(client, card, "0000").headers["Location"]).get_data(as_text=True)
    third = client.get(sign_in(client, card, "0000").headers["Location"]).get_data(as_text=True)
    assert "请 5 秒后再试" in third
    blocked = client.get(sign_in(client, card, "1234").headers["Location"]).get_data(as_text=True)
    assert "秒后再试" in blocked                        # even the right PIN waits out the delay
    station.db().execute("UPDATE staff_attempts SET last_failure_at = '2000-01-01T00:00:00.000+00:00'")
    assert sign_in(client, card).headers["Location"].endswith("/staff/menu")
    assert "工作人员：李娜" in client.get("/staff/menu").get_data(as_text=True)


def test_staff_call_serve_and_a_resident_rates(client, card, station):
    take_at_kiosk(client)
    sign_in(client, card)
    token = csrf_token(client)
    client.post("/staff/counter/1/call_next", data={"csrf_token": token})
    page = client.get("/staff/counter/1").get_data(as_text=True)
    assert 'id="current-number">A001' in page
    ticket_id = re.search(r'name="ticket_id" value="([^"]+)"', page).group(1)
    client.post("/staff/counter/1/done", data={"csrf_token": token, "ticket_id": ticket_id})
    types = [e.type for e in outbox.take(station.db())]
    assert types == ["ticket.issued", "ticket.called", "ticket.done"]
    assert all(e.data["by"] == "S001" for e in outbox.take(station.db())[1:])
    client.post("/staff/signout", data={"csrf_token": token})
    home = client.get("/").get_data(as_text=True)
    assert "A001" in home                                   # the "rate my service" button
    thanks = client.post(f"/queue/rate/{ticket_id}", data={"csrf_token": token, "stars": "5"}, follow_redirects=True)
    assert "谢谢您的评价" in thanks.get_data(as_text=True)
    again = client.post(f"/queue/rate/{ticket_id}", data={"csrf_token": token, "stars": "4"})
    assert again.status_code == 409
    assert [e.data["rating"] for e in outbox.take(station.db()) if e.type == "rating.given"] == [5]


def test_an_empty_queue_and_a_busy_counter_are_told_in_words(client, card):
    sign_in(client, card)
    token = csrf_token(client)
    page = client.get(client.post("/staff/counter/1/call_next", data={"csrf_token": token})
                      .headers["Location"]).get_data(as_text=True)
    assert "现在没有人等候" in page


def test_the_staff_session_ends_after_two_idle_minutes(client, card, station):
    sign_in(client, card)
    before = rfc3339(utc_now() - timedelta(seconds=121))
    station.db().execute("UPDATE staff_sessions SET seen_at = ?", (before,))
    response = client.get("/staff/menu")
    assert response.headers["Location"].endswith("/staff/")
    assert "两分钟没有操作" in client.get("/staff/").get_data(as_text=True)


def test_the_daily_report_on_screen_and_on_paper(client, card, station):
    take_at_kiosk(client)
    sign_in(client, card)
    page = client.get("/staff/report").get_data(as_text=True)
    assert "咨询服务" in page
    client.post("/staff/report/print", data={"csrf_token": csrf_token(client)})
    assert "排队日报" in paper.text_of(station.printer.jobs[-1])
