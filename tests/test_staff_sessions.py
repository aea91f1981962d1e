"""Staff sessions kept by the station: a copied cookie, the home button, the idle reset, a PIN change and a
counter in service; taps that belong to the screen that opened them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_queue_web import STAFF_CARD, sign_in, take_at_kiosk
from test_web import csrf_token

from kiosk.base.clock import rfc3339, utc_now
from kiosk.members import sessions, staff

MEMBER = "0A1B2C3D4E"


def cookie(client) -> str:
    return client.get_cookie("session").value


def opens_menu(app, session_cookie: str) -> bool:
    """A fresh browser carrying this session cookie: does it get the staff menu?"""
    other = app.test_client()
    other.set_cookie("session", session_cookie)
    return other.get("/staff/menu").status_code == 200


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client, card):
    sign_in(client, card)
    copied = cookie(client)
    assert opens_menu(app, copied)                      # the copy works while the session lives …
    client.post("/staff/signout", data={"csrf_token": csrf_token(client)})
    assert client.get("/staff/menu").headers["Location"].endswith("/staff/")
    assert not opens_menu(app, copied)                  # … and not after the sign-out


def test_the_home_button_and_the_idle_reset_end_the_staff_session_at_once(app, client, card, station):
    sign_in(client, card)
    copied = cookie(client)
    client.get("/")                                     # the home button of the staff screens
    assert not opens_menu(app, copied) and client.get("/staff/menu").status_code == 302
    sign_in(client, card)
    copied = cookie(client)
    client.get("/?idle=1")                              # the kiosk's idle reset
    assert not opens_menu(app, copied) and client.get("/staff/menu").status_code == 302
    reasons = [r[0] for r in station.db().execute("SELECT end_reason FROM staff_sessions ORDER BY id")]
    assert reasons == ["left", "left"]


def test_a_pin_change_ends_every_session_of_that_staff_member(app, client, card, station):
    sign_in(client, card)
    staff.set_pin(station.db(), "S001", "5678")
    assert client.get("/staff/menu").headers["Location"].endswith("/staff/")
    assert "密码不对" in client.get(sign_in(client, card, "1234").headers["Location"]).get_data(as_text=True)
    assert sign_in(client, card, "5678").headers["Location"].endswith("/staff/menu")


def idle_for(station, seconds: int) -> None:
    station.db().execute("UPDATE staff_sessions SET seen_at = ?", (rfc3339(utc_now() - timedelta(seconds=seconds)),))


def test_a_counter_in_service_keeps_its_session_past_the_idle_time(client, card, station):
    take_at_kiosk(client)
    sign_in(client, card)
    client.get("/staff/counter/1")
    client.post("/staff/counter/1/call_next", data={"csrf_token": csrf_token(client)})
    idle_for(station, 600)
    page = client.get("/staff/counter/1").get_data(as_text=True)
    assert 'id="current-number">A001' in page and 'data-idle-hold="1"' in page    # and the screen holds too
    ticket_id = station.queue.at_counter(station.db(), "1").id
    client.post("/staff/counter/1/done", data={"csrf_token": csrf_token(client), "ticket_id": ticket_id})
    idle_for(station, 121)                                                   # nothing in service any more
    assert client.get("/staff/counter/1").headers["Location"].endswith("/staff/")


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, card, station):
    take_at_kiosk(client)
    sign_in(client, card)
    response = client.post("/staff/counter/1/call_next")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert station.queue.at_counter(station.db(), "1") is None
    assert client.post("/staff/signout").status_code == 400
    assert client.get("/staff/menu").status_code == 200                      # still signed in


def test_a_tap_belongs_to_the_screen_that_claimed_it(app, client, card, station):
    tap = card.tap(MEMBER)
    assert "卓玛 的积分" in client.get(f"/me?tap={tap}").get_data(as_text=True)
    other = app.test_client()
    assert "卓玛" not in other.get(f"/me?tap={tap}").get_data(as_text=True)    # the same tap, another browser
    assert "卓玛" not in other.get("/tasks/").get_data(as_text=True)
    assert "卓玛" in client.get("/tasks/").get_data(as_text=True)              # the one that tapped keeps it …
    client.get("/?idle=1")
    assert "卓玛" not in client.get("/tasks/").get_data(as_text=True)          # … until the idle reset


def test_a_staff_card_tap_claimed_elsewhere_signs_nobody_in(app, client, card):
    tap = card.tap(STAFF_CARD)
    assert "李娜，请输入密码" in app.test_client().get(f"/staff/pin?tap={tap}").get_data(as_text=True)
    assert client.get(f"/staff/pin?tap={tap}").headers["Location"].endswith("/staff/")
    response = client.post("/staff/pin", data={"csrf_token": csrf_token(client), "pin": "1234"})
    assert response.headers["Location"].endswith("/staff/") and client.get("/staff/menu").status_code == 302


def test_a_session_found_idle_stays_ended(station):
    conn = station.db()
    token = sessions.open_session(conn, "S001")
    idle_for(station, 121)
    with pytest.raises(sessions.SessionRefused):
        sessions.check(conn, token, idle_s=120)
    with pytest.raises(sessions.SessionRefused) as again:            # a longer idle time does not revive it
        sessions.check(conn, token, idle_s=10 ** 6)
    assert again.value.details["reason"] == "idle"
