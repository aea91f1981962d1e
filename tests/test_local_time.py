"""Every time a person reads is the station's local time: a clock at 23:30 UTC is already tomorrow in Lhasa.

The station runs on a clock set to 23:30 UTC on 3 November, which is 07:30 on
4 November in Asia/Shanghai. Every screen and every slip that shows a date
must show the 4th (the local day) and never the 3rd (the UTC day).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import wait_until
from locker_rig import FakeClock
from test_help_web import ask
from test_queue_web import sign_in
from test_shop_web import put_in_cart, tap_on_staff_screen
from test_web import csrf_token

from drivers import paper
from kiosk.base import store
from kiosk.base.clock import local_text

NIGHT = datetime(2026, 11, 3, 23, 30, tzinfo=timezone.utc)
UTC_DAY, LOCAL_DAY = "2026-11-03", "2026-11-04"
MEMBER = "0A1B2C3D4E"     # 卓玛


@pytest.fixture
def station_clock():
    clock = FakeClock()
    clock.now = NIGHT
    return clock.start()          # runs on from 23:30 UTC, so doors can settle


@pytest.fixture
def night(station):
    """The demo station at 23:30 UTC, its seed points entered then too."""
    conn = station.db()
    with store.transaction(conn):
        conn.execute("UPDATE ledger SET ts = ?", (NIGHT.isoformat(timespec="milliseconds"),))
    return station


def test_the_formatting_layer_turns_utc_into_the_station_day():
    assert local_text("2026-11-03T23:30:00.000+00:00", "Asia/Shanghai", "date") == LOCAL_DAY
    assert local_text(NIGHT, "Asia/Shanghai") == "2026-11-04 07:30"
    assert local_text(NIGHT, "Asia/Shanghai", "time") == "07:30"
    assert local_text(None, "Asia/Shanghai") == ""
    with pytest.raises(ValueError):
        local_text("2026-11-03T23:30:00", "Asia/Shanghai")     # an instant without its offset is a bug


def borrow_umbrella(client, card, station) -> str:
    page = client.get(f"/lockers/borrow/go?tap={card.tap(MEMBER)}", follow_redirects=True).get_data(as_text=True)
    op_id = page.split("/lockers/op/")[1].split('"')[0]
    slot = station.locker_core.status(station.db(), op_id).slot_id
    assert wait_until(lambda: station.lockers.door(slot).value == "open")
    station.lockers.sim_item(slot, False)
    station.lockers.sim_close(slot)
    assert wait_until(lambda: station.locker_core.status(station.db(), op_id).phase == "done", timeout=5)
    return client.get(f"/lockers/op/{op_id}").get_data(as_text=True)


def deposit_phone(client, card, station) -> None:
    page = client.get(f"/lockers/deposit/go?tap={card.tap('0A00C0FFEE')}", follow_redirects=True).get_data(as_text=True)
    op_id = page.split("/lockers/op/")[1].split('"')[0]
    slot = station.locker_core.status(station.db(), op_id).slot_id
    assert wait_until(lambda: station.lockers.door(slot).value == "open")
    station.lockers.sim_item(slot, True)
    station.lockers.sim_close(slot)
    assert wait_until(lambda: station.locker_core.status(station.db(), op_id).phase == "done", timeout=5)


def test_every_date_on_screen_is_the_local_day(client, card, night):
    station = night
    shown: dict[str, str] = {}
    done = borrow_umbrella(client, card, station)
    assert "2026-11-07 07:3" in done                                   # due in 72 hours, local time
    shown["umbrella due"] = done

    shown["points history"] = client.get(f"/me?tap={card.tap(MEMBER)}").get_data(as_text=True)
    assert LOCAL_DAY in shown["points history"]

    request_id = ask(client)
    shown["help timeline"] = client.get(f"/help/r/{request_id}").get_data(as_text=True)
    assert "11-04 07:3" in shown["help timeline"]

    shown["display"] = client.get("/display").get_data(as_text=True)
    assert LOCAL_DAY in shown["display"] and ">07:3" in shown["display"]

    deposit_phone(client, card, station)
    sign_in(client, card)
    put_in_cart(client, "soap")
    client.get("/staff/shop/checkout")
    page = client.get(f"/staff/shop/confirm?tap={tap_on_staff_screen(card)}").get_data(as_text=True)
    key = page.split('name="key" value="')[1].split('"')[0]
    client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key})
    shown["today's redemptions"] = client.get("/staff/shop/today").get_data(as_text=True)
    assert "07:3" in shown["today's redemptions"] and "23:3" not in shown["today's redemptions"]
    shown["staff lockers"] = client.get("/staff/lockers/").get_data(as_text=True)
    assert "2026-11-04 11:3" in shown["staff lockers"]                 # the phone's 4 hours, local time
    assert "2026-11-07 07:3" in shown["staff lockers"]                 # the umbrella out, local time
    shown["report"] = client.get("/staff/report").get_data(as_text=True)
    assert LOCAL_DAY in shown["report"]
    wrong = [where for where, page in shown.items() if UTC_DAY in page]
    assert not wrong, f"the UTC day shows on: {wrong}"


def test_every_date_printed_is_the_local_day(client, card, night):
    station = night
    station.take_ticket("consult", lang="en")
    ask(client)
    sign_in(client, card)
    put_in_cart(client, "soap")
    client.get("/staff/shop/checkout")
    page = client.get(f"/staff/shop/confirm?tap={tap_on_staff_screen(card)}").get_data(as_text=True)
    key = page.split('name="key" value="')[1].split('"')[0]
    client.post("/staff/shop/confirm", data={"csrf_token": csrf_token(client), "key": key})
    station.print_test_page()
    station.print_daily_report()
    slips = [paper.text_of(job) for job in station.printer.jobs]
    assert len(slips) == 5, "ticket, help slip, receipt, test page, report"
    for slip in slips:
        assert LOCAL_DAY in slip and UTC_DAY not in slip, slip
    for slip in slips[:4]:
        assert f"{LOCAL_DAY} 07:3" in slip, slip
