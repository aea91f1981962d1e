"""The counter console on a paired device and at the kiosk: waiting lists, call by number, no-show and back,
pause, reprint; its live part and its stream are no staff action; a device's stream ends with its session."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from conftest import wait_until
from console_rig import csrf, kiosk_staff_with_a_resident_waiting, paired_device
from test_queue_web import sign_in, take_at_kiosk
from test_web import csrf_token

from drivers import paper
from kiosk.base import outbox
from kiosk.base.clock import rfc3339, utc_now
from kiosk.web import stream


def post(device, path: str, **data):
    return device.post(path, data)


def shown(device, path: str = "/staff/counter/1") -> str:
    return device.get(path).get_data(as_text=True)


def rows(page: str, section: str) -> list[str]:
    part = page.split(f'data-service="{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="waiting-row" data-number="([^"]+)"', part)


def idle_for(station, seconds: int) -> None:
    station.db().execute("UPDATE staff_sessions SET seen_at = ?", (rfc3339(utc_now() - timedelta(seconds=seconds)),))


@pytest.fixture
def device(station, client, card):
    return paired_device(station, client, card)


def test_a_device_sees_every_service_waiting_and_calls_a_number_out_of_turn(station, device):
    for service, priority in (("consult", False), ("consult", True), ("consult", False), ("print", False)):
        station.take_ticket(service, priority=priority)
    page = shown(device)
    assert rows(page, "consult") == ["A002", "A001", "A003"] and rows(page, "print") == ["B001"]
    assert "★ 优先" in page and "等了 0 分钟" in page and "（其他窗口办理）" in page
    assert re.findall(r'class="small-button call-number">叫 (\w+) 号', page) == ["A002", "A001", "A003"]  # not B001
    post(device, "/staff/counter/1/call_number", number="A003")
    page = shown(device)
    assert 'id="current-number">A003' in page and rows(page, "consult") == ["A002", "A001"]
    assert "call-number" not in page                         # one number at a time
    assert 'data-in-service="1"' in page


def test_a_no_show_goes_back_in_line_from_the_device(station, device):
    station.take_ticket("consult")
    post(device, "/staff/counter/1/call_next")
    ticket = station.queue.at_counter(station.db(), "1")
    asked = device.get(post(device, "/staff/counter/1/no_show", ticket_id=ticket.id).headers["Location"])
    assert "把 A001 号记为过号吗" in asked.get_data(as_text=True)           # asked once more, nothing done yet
    assert station.queue.at_counter(station.db(), "1").id == ticket.id
    post(device, "/staff/counter/1/no_show", ticket_id=ticket.id, confirmed="1")
    page = shown(device)
    assert 'id="no-shows"' in page and "A001 重新排队" in page and rows(page, "consult") == []
    answer = device.get(post(device, "/staff/counter/1/requeue", ticket_id=ticket.id).headers["Location"])
    page = answer.get_data(as_text=True)
    assert "A001：已重新排队" in page and rows(page, "consult") == ["A001"] and 'id="no-shows"' not in page


def test_a_transfer_is_asked_once_more_naming_the_service_and_back_keeps_the_ticket(station, device):
    station.take_ticket("consult")
    post(device, "/staff/counter/1/call_next")
    ticket = station.queue.at_counter(station.db(), "1")
    asked = device.get(post(device, "/staff/counter/1/transfer", ticket_id=ticket.id, to_service="print")
                       .headers["Location"]).get_data(as_text=True)
    assert re.search(r"把 A001 号转到「[^」]+」吗？", asked) and "确认转出" in asked and "不，返回" in asked
    assert station.queue.at_counter(station.db(), "1").id == ticket.id      # nothing done yet
    page = shown(device)                                                     # back: still at the counter
    assert 'id="current-number">A001' in page
    post(device, "/staff/counter/1/transfer", ticket_id=ticket.id, to_service="print", confirmed="1")
    assert station.queue.at_counter(station.db(), "1") is None
    assert rows(shown(device), "print") == ["A001"]


def test_a_paused_counter_says_so_and_calls_nobody(station, device):
    station.take_ticket("consult")
    page = device.get(post(device, "/staff/counter/1/state", state="paused").headers["Location"]) \
        .get_data(as_text=True)
    assert "窗口已暂停叫号。" in page and 'data-counter-state="paused"' in page and "叫下一位" not in page
    assert "call-number" not in page and "继续叫号" in page
    page = device.get(post(device, "/staff/counter/1/call_next").headers["Location"]).get_data(as_text=True)
    assert "这个窗口已暂停叫号。" in page and station.queue.at_counter(station.db(), "1") is None
    post(device, "/staff/counter/1/state", state="open")
    assert "叫下一位" in shown(device)


def test_a_reprint_from_the_list_goes_to_the_kiosk_printer(station, device):
    taken = station.take_ticket("consult").issued.ticket
    assert wait_until(lambda: len(station.printer.jobs) == 1, timeout=10)
    page = device.get(post(device, "/staff/counter/1/reprint", ticket_id=taken.id).headers["Location"]) \
        .get_data(as_text=True)
    assert "A001：号票已送去补打。" in page
    assert wait_until(lambda: len(station.printer.jobs) == 2, timeout=10)
    assert "补打" in paper.text_of(station.printer.jobs[-1])


def test_the_live_part_is_no_staff_action_but_a_counter_in_service_holds_the_device_session(station, device):
    station.take_ticket("consult")
    shown(device)                                           # the device works counter 1 now
    assert [r[0] for r in station.db().execute("SELECT counter FROM staff_sessions WHERE ended_at IS NULL "
                                               "AND device_id IS NOT NULL")] == ["1"]
    idle_for(station, 16 * 60)                              # past the console's 15 minutes …
    live = device.get("/staff/counter/1/live", headers={"HX-Request": "true"})
    assert live.headers["HX-Redirect"].endswith("/staff/")  # … the live part does not keep it alive
    assert device.get("/staff/menu").headers["Location"].endswith("/staff/")
    device.sign_in()
    shown(device)
    post(device, "/staff/counter/1/call_next")
    idle_for(station, 60 * 60)                              # an hour with A001 called: still signed in
    assert 'id="current-number">A001' in device.get("/staff/counter/1/live").get_data(as_text=True)
    assert device.get("/staff/menu").status_code == 200


def test_the_kiosks_counter_screen_holds_its_idle_reset_while_in_service(client, card, station):
    take_at_kiosk(client)
    sign_in(client, card)
    page = client.get("/staff/counter/1").get_data(as_text=True)
    assert 'data-in-service=""' in page and 'data-stream="/events"' in page
    client.post("/staff/counter/1/call_next", data={"csrf_token": csrf_token(client)})
    assert 'data-in-service="1"' in client.get("/staff/counter/1/live").get_data(as_text=True)


def read_until(chunks, word: str, limit: int = 200) -> str:
    """Read a stream's messages until one holds `word` (each heartbeat ends a wait, so this never hangs)."""
    seen = ""
    for _ in range(limit):
        seen += next(chunks).decode()
        if word in seen:
            return seen
    raise AssertionError(f"{word!r} never came: {seen!r}")


def test_a_device_hears_the_queue_live_and_its_stream_ends_with_its_session(station, client, device, monkeypatch):
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.2)
    page = shown(device)
    assert 'data-stream="/staff/events"' in page
    response = device.get("/staff/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    read_until(chunks, "retry:")
    station.take_ticket("consult")
    assert 'data-service="consult"' in read_until(chunks, "event: queue")
    station.printer.pull_paper()
    station.record_devices()
    assert "打印机没纸了" in read_until(chunks, "event: printer")     # told what to fix, as staff
    listed = client.get("/staff/devices").get_data(as_text=True)
    device_id = re.search(r'/staff/devices/([^/]+)/revoke', listed).group(1)
    client.post(f"/staff/devices/{device_id}/revoke", data={"csrf_token": csrf(listed)})
    assert "event: ended\ndata: /staff/" in read_until(chunks, "event: ended")
    response.close()


def test_the_device_stream_needs_a_signed_in_device(station, device):
    post(device, "/staff/signout")
    assert device.get("/staff/events").headers["Location"].endswith("/staff/")
    assert 'data-stream=""' in device.get("/staff/signin").get_data(as_text=True)


class Listening:
    """A screen's open stream, asked for and read in a thread of its own, as a server runs it (two streams
    are two browsers)."""

    def __init__(self, open_stream) -> None:
        self.seen, self.response, self._stop = "", None, threading.Event()
        self.thread = threading.Thread(target=self._read, args=(open_stream,), daemon=True)
        self.thread.start()

    def _read(self, open_stream) -> None:
        self.response = open_stream()
        for chunk in self.response.response:
            self.seen += chunk.decode()
            if self._stop.is_set():
                break
        self.response.close()

    def close(self) -> None:
        """The browser goes away: the stream ends at its next message or heartbeat."""
        self._stop.set()
        self.thread.join(timeout=30)

    def heard(self, word: str) -> str:
        assert wait_until(lambda: word in self.seen, timeout=10), f"{word!r} never came: {self.seen!r}"
        return self.seen


def test_a_device_takes_a_members_card_from_the_kiosk_reader_for_its_own_session(station, client, device, card,
                                                                                 monkeypatch):
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.2)          # a closed stream ends at its next heartbeat
    page = shown(device, "/staff/points")
    assert "请会员在服务机的读卡器上刷卡。" in page and 'data-on-card="/staff/points/member"' in page
    at_device = Listening(lambda: device.get("/staff/events?mode=capture", buffered=False))  # the device waits
    at_kiosk = Listening(lambda: client.get("/events", buffered=False))                     # the kiosk listens
    at_device.heard("retry:"), at_kiosk.heard("retry:")
    tap = card.tap("0A1B2C3D4E")                                            # 卓玛 taps at the kiosk's reader
    assert f'data-tap="{tap}"' in at_device.heard("event: card")
    told = at_kiosk.heard("event: card")
    assert 'data-tap=""' in told and "请看工作人员的设备。" in told and tap not in told
    assert "卓玛 的积分" not in client.get(f"/me?tap={tap}").get_data(as_text=True)   # not the kiosk's tap
    page = shown(device, f"/staff/points/member?tap={tap}")
    assert "卓玛" in page and 'name="key"' in page                          # the device's form, bound to her
    assert [e for e in outbox.take(station.db(), limit=100) if e.type == "member.checked_in"] == []
    at_device.close()
    assert station.bus.capturer() is None
    card.tap("0A1B2C3D4E")                                                  # nobody waits: a check-in again
    assert [e.type for e in outbox.take(station.db(), limit=100)].count("member.checked_in") == 1
    at_kiosk.close()


def test_a_ticket_is_transferred_to_another_service_from_the_device(station, device):
    taken = station.take_ticket("consult").issued.ticket                     # A001, for a certificate after all
    post(device, "/staff/counter/1/call_next")
    page = shown(device)
    targets = re.findall(r'name="to_service" value="(\w+)"', page)
    assert targets == ["print", "certify"]                                  # every service but its own
    asked = device.get(post(device, "/staff/counter/1/transfer", ticket_id=taken.id, to_service="print")
                       .headers["Location"]).get_data(as_text=True)
    assert "确认转出" in asked                                              # asked once more first
    moved = device.get(post(device, "/staff/counter/1/transfer", ticket_id=taken.id, to_service="print",
                            confirmed="1").headers["Location"]).get_data(as_text=True)
    assert "A001：已转到其他业务" in moved and 'id="current-number"' not in moved
    assert rows(moved, "print") == ["A001"] and rows(moved, "consult") == []  # its number kept, in print's line
    assert rows(shown(device, "/staff/counter/2"), "print") == ["A001"]      # counter 2 serves print
    post(device, "/staff/counter/2/call_next")
    assert 'id="current-number">A001' in shown(device, "/staff/counter/2")
    refused = device.get(post(device, "/staff/counter/2/transfer", ticket_id=taken.id, to_service="nowhere")
                         .headers["Location"]).get_data(as_text=True)
    assert "没有这项服务" in refused and 'id="current-number">A001' in refused   # refused in words, nothing moved


@pytest.mark.browser
def test_the_residents_screen_never_resets_a_counter_in_service_and_resets_it_once_done(browser, tmp_path):
    """The kiosk's idle reset (60 s in the demo) on a real Chromium whose clock the test moves (Playwright's
    clock): with A001 at the counter five minutes pass and the console stays; once done, the reset comes and
    the staff session ends with it."""
    from conftest import Demo

    demo = Demo(tmp_path / "demo")
    try:
        page = kiosk_staff_with_a_resident_waiting(browser, demo.url, fake_clock=True)
        page.get_by_role("link", name="1 号窗口").click()
        page.get_by_role("button", name="叫下一位").click()
        assert page.locator("#current-number").inner_text(timeout=5000) == "A001"
        counter_url = page.url
        page.clock.fast_forward("05:00")                                  # five idle minutes with A001 called
        page.clock.run_for(1000)                                          # the idle check's next rounds
        assert page.url == counter_url and page.locator("#idle").is_hidden()
        page.get_by_role("button", name="办完").click()
        page.get_by_text("A001：已办完").wait_for(timeout=5000)
        page.clock.fast_forward("01:05")                                  # nothing at the counter now
        page.wait_for_url(demo.url + "/", timeout=10000)                  # the idle reset: home …
        page.goto(demo.url + "/staff/menu")
        assert page.url == demo.url + "/staff/"                            # … and the staff session is gone
    finally:
        demo.stop()
