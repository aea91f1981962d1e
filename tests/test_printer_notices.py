"""The printer's troubles reach staff, and never break the screens' live notices.

A failed slip used to raise TemplateNotFound (`notices/printer.html`) inside
every open screen's event stream, which then died: no card tap reached any
screen after it. Paper low never reached anyone, since slips still print.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
import uuid

from conftest import wait_until
from test_live import Browser
from test_queue_web import sign_in

from kiosk.base.printing import PrinterWatch


def read_events(port: int, path: str, until: str, out: list, ready: threading.Event) -> None:
    """Collect (event, data) pairs from one screen's stream up to the first `until` event."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", path)
    response = conn.getresponse()
    ready.set()
    event, data = None, []
    while not out or out[-1][0] != until:
        line = response.readline().decode()
        if not line:
            break
        line = line.rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and event:
            out.append((event, "\n".join(data)))
            event, data = None, []
    conn.close()


def listen(port: int, path: str, until: str = "card") -> tuple[threading.Thread, list]:
    got: list = []
    ready = threading.Event()
    thread = threading.Thread(target=read_events, args=(port, path, until, got, ready), daemon=True)
    thread.start()
    assert ready.wait(10)
    return thread, got


def test_a_slip_that_fails_keeps_every_screen_live_and_tells_staff(running_demo):
    resident, heard = listen(running_demo.port, "/events")
    staff, staff_heard = listen(running_demo.port, "/events?who=staff")
    browser = Browser(running_demo.url)
    assert browser.post("/sim/printer/pull") == 200
    page = browser.opener.open(running_demo.url + "/queue/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "service": "consult", "request_key": str(uuid.uuid4())})
    with browser.opener.open(running_demo.url + "/queue/take", data=data.encode()) as response:
        page = response.read().decode()               # the ticket, printing or already failed
        assert "打印机暂时不能出票" in page or "正在打印号票" in page
    assert wait_until(lambda: any('data-print-state="failed"' in html for kind, html in heard if kind == "print"))
    assert browser.post("/sim/tap", uid="0A1B2C3D4E") == 200          # 卓玛 taps after the failure
    resident.join(15)
    staff.join(15)
    failed = [html for kind, html in heard if kind == "print" and 'data-print-state="failed"' in html]
    assert "打印机暂时不能出票" in failed[0]                            # the resident's own screen says it
    skip = ("queue", "print")     # the board's refresh, and the slip's progress for its own screen
    heard = [(kind, html) for kind, html in heard if kind not in skip]
    staff_heard = [(kind, html) for kind, html in staff_heard if kind not in skip]
    assert [kind for kind, _ in heard] == ["printer", "card"], "the stream must live on after a printer notice"
    assert heard[0][1].strip() == ""                                  # residents: their screen said it already
    assert "卓玛，您好！" in heard[1][1]
    assert [kind for kind, _ in staff_heard] == ["printer", "card"]
    assert "打印机没纸了" in staff_heard[0][1] and "请换上新的纸卷" in staff_heard[0][1]


def test_paper_low_reaches_staff_at_the_next_device_round(station, client, card):
    with station.bus.subscribe() as screen:
        station.record_devices()
        assert screen.get(0.1) is None                                # all well: nothing to say
        station.printer.set_paper_low(True)
        station.record_devices()
        notice = screen.get(1)
        assert (notice.kind, notice.data["state"]) == ("printer", "paper_low")
        station.record_devices()
        assert screen.get(0.1) is None                                # said once, not every round
    sign_in(client, card)
    menu = client.get("/staff/menu").get_data(as_text=True)
    assert "打印纸快用完了" in menu and 'data-printer="paper_low"' in menu
    assert "打印纸快用完了" not in client.get("/").get_data(as_text=True)   # residents need not know
    station.printer.load_paper()
    station.record_devices()
    assert "打印纸快用完了" not in client.get("/staff/menu").get_data(as_text=True)


def test_the_watch_speaks_on_changes_that_matter():
    from kiosk.base.bus import Bus

    bus = Bus()
    watch = PrinterWatch(bus)
    with bus.subscribe() as sub:
        said = [watch.seen(s) for s in ("ok", "unknown", "ok", "paper_out", "paper_out", "unknown", "ok")]
        kinds = []
        while (notice := sub.get(0.01)) is not None:
            kinds.append(notice.data["state"])
    assert said == [False, False, False, True, False, False, True]
    assert kinds == ["paper_out", "ok"] and watch.last == "ok"
    assert watch.seen("offline", announce=False) is False and watch.last == "offline"
