"""Member cards end to end: RDM6300 frames on a real pty → check-in/out → screen notice and outbox."""

from __future__ import annotations

import os
import re

import pytest
from conftest import vstation, wait_until
from test_web import csrf_token

from drivers.card_frames import rdm6300_frame
from kiosk import config as cfg
from kiosk import demo, hardware
from kiosk.members import ledger
from kiosk.base import outbox, store
from kiosk.base.bus import Bus
from kiosk.station import Station

MEMBER, VOLUNTEER, UNKNOWN = "0A1B2C3D4E", "0A00C0FFEE", "9999991234"


@pytest.fixture
def pty_station(config_path):
    """The demo station with an rdm6300 reader on a pty; yields (station, master fd of the 'reader')."""
    master, slave = os.openpty()
    text = config_path.read_text(encoding="utf-8").replace(
        '[card_reader]\nkind = "sim"',
        f'[card_reader]\nkind = "rdm6300"\ndevice = "{os.ttyname(slave)}"\ndebounce_seconds = 0.5')
    config_path.write_text(text, encoding="utf-8")
    config = cfg.load(config_path)
    conn = store.open_store(config.database_path)
    demo.seed(conn)
    outbox.forget(conn, 10**9)
    conn.close()
    hw = hardware.build(config)
    st = Station(config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus())
    st.start()
    assert wait_until(lambda: st.reader.state.value == "ok", timeout=5)   # the port is open and raw
    yield st, master
    st.stop()
    os.close(master)
    os.close(slave)


def test_frames_on_the_serial_line_check_a_member_in_once(pty_station):
    st, master = pty_station
    with st.bus.subscribe() as screen:
        os.write(master, b"\x00noise" + rdm6300_frame(MEMBER) * 4)       # a held card repeats its frame
        notice = screen.get(timeout=5)
        assert notice.data["outcome"] == "checked_in" and notice.data["name"] == "卓玛"
        assert notice.data["balance"] == 10
        bad = bytearray(rdm6300_frame(VOLUNTEER))
        bad[5] ^= 0x01                                                  # a corrupt frame
        os.write(master, bytes(bad) + rdm6300_frame(UNKNOWN) * 2)
        unknown = screen.get(timeout=5)
        assert {k: v for k, v in unknown.data.items() if k != "tap"} == {"known": False, "uid": "…1234"}
        assert screen.get(timeout=0.7) is None                           # nothing else happened
    types = [e.type for e in outbox.take(st.db())]
    assert types == ["member.checked_in", "card.unknown"]
    assert st.reader.corrupt_frames >= 1


def test_a_capturing_staff_screen_picks_the_card_and_checks_nobody_in(pty_station):
    st, master = pty_station
    with st.bus.subscribe(mode="capture") as screen:
        os.write(master, rdm6300_frame(MEMBER) * 2)                     # the card held on the reader
        captured = screen.get(timeout=5).data
    assert captured["outcome"] == "captured"
    assert outbox.take(st.db()) == []
    assert st.taps.claim(captured["tap"]) == MEMBER          # the screen that waited claims it, once
    assert st.taps.claim(captured["tap"]) is None


def test_check_in_and_out_from_the_screen(client, card, station):
    from datetime import datetime, timedelta, timezone

    from test_queue import Clock

    clock = station.visits.clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc))   # 09:00 local
    tap = card.tap(MEMBER)
    assert "卓玛 的积分" in client.get(f"/me?tap={tap}").get_data(as_text=True)
    clock.now += timedelta(hours=2)
    with station.bus.subscribe() as screen:
        card.tap(MEMBER)
        notice = screen.get(timeout=2)
    assert (notice.data["outcome"], notice.data["minutes"], notice.data["points"]) == ("checked_out", 120, 4)
    assert notice.data["balance"] == 14
    other = client.application.test_client()                            # another browser, the same old tap
    assert "请把您的卡放在读卡器上" in other.get(f"/me?tap={tap}").get_data(as_text=True)
    page = client.get(f"/me?tap={notice.data['tap']}").get_data(as_text=True)
    assert "卓玛 的积分" in page and "新成员基础分" in page


def test_the_member_page_needs_a_fresh_tap(client):
    assert "请把您的卡放在读卡器上" in client.get("/me").get_data(as_text=True)


def test_staff_add_points_from_the_configured_list_once(client, card, station):
    client.get(f"/staff/pin?tap={card.tap('5A5A5A5A01')}")
    client.post("/staff/pin", data={"csrf_token": csrf_token(client), "pin": "1234"})
    assert client.get("/staff/points").status_code == 200
    page = client.get(f"/staff/points/member?tap={card.tap(MEMBER)}").get_data(as_text=True)
    assert "担任社区职务" in page and "+2" in page and "无故不参加活动" in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_token(client), "key": key, "item": "community-role"}
    client.post("/staff/points/member", data=form)
    client.post("/staff/points/member", data=form)                      # a retried form
    assert ledger.balance(station.db(), "M001") == 12
    entries = [e.data for e in outbox.take(station.db()) if e.type == "points.entry"]
    assert [(e["amount"], e["reason"], e["author"]) for e in entries] == [(2, "adjust:community-role", "S001")]
    page = client.get(f"/staff/points/member?tap={card.tap(MEMBER)}").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {**form, "key": key, "item": "free-amount"}
    assert "请选择一个加减分项目" in client.get(client.post("/staff/points/member", data=form)
                                         .headers["Location"]).get_data(as_text=True)


def test_roster_import_command_reports_rejected_rows(config_path, tmp_path):
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text("member_id,card_uid,name,role,grid,balance\nM10,ABCDEF0010,新成员,member,g9,\n"
                        "M11,ABCDEF0011,错角色,boss,g9,\n", encoding="utf-8")
    result = vstation("--config", str(config_path), "roster", "import", str(csv_file))
    assert result.returncode == 1
    assert "1 member(s) added, 0 updated, 1 row(s) rejected" in result.stdout
    assert "line 3: role 'boss'" in result.stdout


def shown_after_a_visit(client, card, station, minutes: int, langs: tuple[str, ...] = ("zh",)) -> list[str]:
    """What the screen says, in each of `langs`, when the member checks out after `minutes` (the notice as the
    stream renders it)."""
    from datetime import datetime, timedelta, timezone

    from flask import render_template, session
    from test_queue import Clock

    clock = station.visits.clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc))   # 09:00 local
    card.tap(MEMBER)
    clock.now += timedelta(minutes=minutes)
    with station.bus.subscribe() as screen:
        card.tap(MEMBER)
        notice = screen.get(timeout=2)
    said = []
    for lang in langs:
        with client.application.test_request_context("/events"):
            session["lang"] = lang
            said.append(re.sub(r"\s+", " ", render_template(f"notices/{notice.kind}.html", staff=False, **notice.data)))
    return said


def test_a_check_out_under_the_minimum_says_why_it_earned_nothing(client, card, station):
    said, english = shown_after_a_visit(client, card, station, 20, ("zh", "en"))
    assert "签退成功：本次服务 20 分钟，不满 30 分钟，不计积分。" in said and 'data-points="0"' in said
    assert "现有积分：10 分" in said
    assert "Checked out: 20 min of service, under the 30 min" in english and 'data-points="0"' in english


def test_a_check_out_with_points_says_how_long_and_how_many(client, card, station):
    said, = shown_after_a_visit(client, card, station, 95)
    assert "签退成功：本次服务 1 小时 35 分钟，获得 3 积分。" in said
