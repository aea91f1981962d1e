"""Staff alerts on every staff screen and paired device: the printer, a locker fault, a door left open, an
overdue loan, help requests not dispatched in time; told live when they change, gone once mended."""

from __future__ import annotations

import re

import pytest
from conftest import wait_until
from console_rig import paired_device
from gpiozero.pins.mock import MockFactory
from locker_rig import FakeClock, Hand, locker_config, make_station
from test_print_spooler import rig, serial_station  # noqa: F401  (fixtures: a serial printer on a pty)

from kiosk.web import create_app

ZHUOMA, TASHI = "0A1B2C3D4E", "0A00C0FFEE"


@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock().start()


@pytest.fixture
def st(config, factory, clock):
    station = make_station(locker_config(config), factory, clock=clock)
    yield station
    station.stop()


def kinds(st) -> dict[str, dict]:
    return {a.kind: {"count": a.count, **a.detail} for a in st.staff_alerts()}


def ask_for_help(st, key: str):
    return st.ask_for_help("repairs", "13800138000", ["tap"], "tomorrow_am", consent=True, key=key)


def test_each_alert_comes_when_it_should_and_goes_when_mended(st, factory, clock):
    hand = Hand(factory)
    assert kinds(st) == {}
    st.printer.set_paper_low()
    st.record_devices()
    assert kinds(st) == {"printer": {"count": 1, "state": "paper_low"}}
    st.printer.set_paper_low(False)
    st.record_devices()
    hand.open("C2")                                    # left open by someone
    st.locker_core.tick(st.db())
    clock.advance(seconds=61)
    st.locker_core.tick(st.db())
    assert kinds(st) == {"door_open": {"count": 1, "slots": "C2"}}
    hand.shut("C2")
    assert wait_until(lambda: "door_open" not in kinds(st))
    borrowed = st.locker_action("borrow", ZHUOMA)
    hand.open(borrowed.slot_id); hand.take(borrowed.slot_id); hand.shut(borrowed.slot_id)
    assert wait_until(lambda: st.locker_core.status(st.db(), borrowed.op_id).phase == "done")
    clock.advance(hours=73)
    assert kinds(st) == {"loan_overdue": {"count": 1, "slots": "U1"}}


def test_a_help_request_not_dispatched_in_time_is_an_alert_until_dispatched(st, clock):
    req, _ = ask_for_help(st, "h1")
    clock.advance(minutes=29)
    assert "help_waiting" not in kinds(st)             # dispatch_alert_minutes = 30 by default
    clock.advance(minutes=2)
    ask_for_help(st, "h2")                             # a new one does not count yet
    assert kinds(st)["help_waiting"] == {"count": 1, "oldest_minutes": 31}
    st.dispatch_request(req.id, "M001", 5)
    assert "help_waiting" not in kinds(st)


def test_a_locker_fault_is_an_alert(st):
    for _ in range(3):                                 # a door that never opens: a fault after three tries
        started = st.locker_action("borrow", ZHUOMA)
        assert wait_until(lambda: st.locker_core.status(st.db(), started.op_id).phase == "not_opened", timeout=3)
    assert kinds(st)["locker_fault"] == {"count": 1, "slots": "U1"}


def test_the_open_staff_screens_are_told_when_the_alerts_change(st):
    with st.bus.subscribe() as screen:
        st.alert_watch.seen(st.staff_alerts())         # nothing new: nothing told
        assert screen.get(0.2) is None
        st.printer.pull_paper()
        st.record_devices()
        st.alert_watch.seen(st.staff_alerts())
        told = [n for n in iter(lambda: screen.get(0.3), None) if n.kind == "alerts"]
    assert [n.data for n in told] == [{"kinds": ["printer"]}]


def test_the_banner_is_on_the_kiosks_staff_screens_and_on_paired_devices(st, clock, card_for):
    client, card = card_for(st)
    st.printer.pull_paper()
    st.record_devices()
    ask_for_help(st, "h1")
    clock.advance(minutes=45)
    device = paired_device(st, client, card)
    for page in (client.get("/staff/menu").get_data(as_text=True),
                 device.get("/staff/counter/1").get_data(as_text=True),
                 device.get("/staff/alerts").get_data(as_text=True)):
        assert 'data-alert="printer"' in page and "打印机没纸了" in page
        assert 'data-alert="help_waiting"' in page and "1 个求助还没有派单，最久的已等 45 分钟" in page
        assert 'hx-trigger="vstation-alerts from:body' in page


@pytest.fixture
def card_for():
    from conftest import Card

    def make(st):
        return create_app(st, simulated=True, test_config={"TESTING": True}).test_client(), Card(st)
    return make


def banner(device) -> dict[str, str]:
    """The alerts banner a paired device fetches live: each alert's kind and the words staff read."""
    page = device.get("/staff/alerts").get_data(as_text=True)
    parts = page.split('data-alert="')[1:]
    return {part.split('"', 1)[0]: " ".join(re.sub(r"<[^>]*(>|$)", " ", part.split(">", 1)[1]).split())
            for part in parts}                         # (each part ends with the next alert's unclosed tag)


def test_a_device_banner_says_what_each_alert_needs_and_drops_it_when_mended(st, factory, clock, card_for):
    hand = Hand(factory)
    client, card = card_for(st)
    assert banner(paired_device(st, client, card)) == {}
    for _ in range(3):                                 # U1's door never opens: a fault after three tries
        started = st.locker_action("borrow", ZHUOMA)
        assert wait_until(lambda: st.locker_core.status(st.db(), started.op_id).phase == "not_opened", timeout=3)
    borrowed = st.locker_action("borrow", TASHI)       # U2 then, taken home
    hand.open(borrowed.slot_id); hand.take(borrowed.slot_id); hand.shut(borrowed.slot_id)
    assert wait_until(lambda: st.locker_core.status(st.db(), borrowed.op_id).phase == "done")
    ask_for_help(st, "h1")
    clock.advance(hours=73)                            # the umbrella is past due, the request long missed
    hand.open("C2")                                    # and a charging door left open
    st.locker_core.tick(st.db())
    clock.advance(seconds=61)
    st.locker_core.tick(st.db())
    st.printer.set_paper_low()
    st.record_devices()
    device = paired_device(st, client, card)           # signed in again: 73 hours idle ended the session
    shown = banner(device)
    assert list(shown) == ["printer", "locker_fault", "door_open", "loan_overdue", "help_waiting"]
    assert shown["printer"] == "打印纸快用完了 请准备新的纸卷。"
    assert shown["locker_fault"] == "储物柜故障：U1，请检查。 储物柜"
    assert shown["door_open"] == "储物柜门没有关：C2，请去关门。"
    assert shown["loan_overdue"] == "1 件借用已超期（U2）。 储物柜"
    assert shown["help_waiting"].startswith("1 个求助还没有派单，最久的已等 ")
    hand.shut("C2")                                    # mended: gone at the next look
    st.printer.set_paper_low(False)
    st.record_devices()
    assert wait_until(lambda: set(banner(device)) == {"locker_fault", "loan_overdue", "help_waiting"})


def test_a_printer_that_stops_answering_is_on_the_device_banner_in_words(serial_station, rig, card_for):
    """A serial printer on a pty (tests/printer_rig.py) whose cover is opened: offline, as its status says."""
    client, card = card_for(serial_station)
    device = paired_device(serial_station, client, card)
    rig.set_offline()
    serial_station.record_devices()                    # the kiosk's device round
    assert banner(device) == {"printer": "打印机没有响应 请检查打印机的电源和连线。"}
    rig.set_offline(False)
    serial_station.record_devices()
    assert banner(device) == {}
