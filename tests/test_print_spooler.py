"""The print spooler: the screen never waits for the printer, a failed slip never prints late, a crash is reported.

The printer is a real `serial` printer on a pty whose far end drains at the
baud rate (tests/printer_rig.py), so a slip takes its real wire time; the
line can be held to show that the answer does not wait for the paper. The
crash test kills a real `vstation kiosk` process with SIGKILL mid-slip.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from conftest import ROOT, demo_config, free_port, print_outcome, wait_healthy, wait_until
from printer_rig import SlowPrinter
from test_queue_web import sign_in
from test_web import csrf_token

from drivers import paper
from kiosk import config as cfg
from kiosk import demo, hardware
from kiosk.base import outbox, store
from kiosk.base.bus import Bus
from kiosk.printing import jobs
from kiosk.station import Station

SIM_PRINTER = '[printer]\nkind = "sim"\nprofile = "NT-80-V-UL"\ntext = "gb18030"'

def serial_station_config(folder: Path, rig: SlowPrinter, port: int | None = None) -> Path:
    """A demo station.toml (open at any hour) whose printer is a `serial` printer on the rig's pty."""
    path = demo_config(folder)
    text = path.read_text(encoding="utf-8")
    assert SIM_PRINTER in text
    text = text.replace(SIM_PRINTER, f'[printer]\nkind = "serial"\ndevice = "{rig.path}"\nbaudrate = {rig.baud}\n'
                                     'profile = "NT-80-V-UL"')
    if port:
        text = text.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    path.write_text(text, encoding="utf-8")
    conn = store.open_store(cfg.load(path).database_path)
    demo.seed(conn)
    outbox.forget(conn, 10**9)
    conn.close()
    return path


@pytest.fixture
def rig() -> Iterator[SlowPrinter]:
    far_end = SlowPrinter(9600)
    yield far_end
    far_end.close()


@pytest.fixture
def serial_station(tmp_path: Path, rig: SlowPrinter) -> Iterator[Station]:
    config = cfg.load(serial_station_config(tmp_path / "station", rig))
    hw = hardware.build(config)
    st = Station(config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus())
    st.start()
    yield st
    rig.release()
    st.stop()
    hw.printer.close()


@pytest.fixture
def serial_client(serial_station: Station):
    from kiosk.web import create_app

    return create_app(serial_station, simulated=False, test_config={"TESTING": True}).test_client()


def qr_count(rig: SlowPrinter, ticket_id: str) -> int:
    """How many times a ticket's QR code went over the wire."""
    return bytes(rig.received).count(f"vstation:ticket:{ticket_id}".encode())


def test_the_ticket_is_answered_while_the_printer_has_not_taken_a_byte(serial_client, serial_station, rig):
    rig.hold()                                    # the printer takes nothing until released
    response = serial_client.post("/api/v1/tickets", json={"service": "consult", "language": "bo"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == "A001" and body["printed"] in ("queued", "sending")
    assert rig.cuts() == 0 and b"A001" not in rig.received
    page = serial_client.get(f"/queue/ticket/{body['id']}").get_data(as_text=True)
    assert "A001" in page and "正在打印号票" in page
    rig.release()
    assert print_outcome(serial_station, body["id"], timeout=60).state.value == "printed"
    assert rig.cuts() == 1 and qr_count(rig, body["id"]) == 1
    assert serial_client.get(f"/api/v1/tickets/{body['id']}").get_json()["printed"] == "printed"
    page = serial_client.get(f"/queue/ticket/{body['id']}").get_data(as_text=True)
    assert "请取走打印出来的号票" in page


def test_a_paper_out_ticket_is_never_printed_after_the_refill(serial_client, serial_station, rig):
    rig.pull_paper()
    first = serial_client.post("/api/v1/tickets", json={"service": "consult"}).get_json()
    assert print_outcome(serial_station, first["id"]).fault == "paper_out"
    rig.load_paper()
    second = serial_client.post("/api/v1/tickets", json={"service": "consult"}).get_json()
    assert print_outcome(serial_station, second["id"], timeout=60).state.value == "printed"
    assert wait_until(lambda: rig.cuts() == 1)
    assert second["number"] in rig.text() and first["number"] not in rig.text()
    assert qr_count(rig, first["id"]) == 0
    again = serial_client.get(f"/api/v1/tickets/{first['id']}").get_json()
    assert (again["printed"], again["print_fault"]) == ("failed", "paper_out")
    faults = [e.data for e in outbox.take(serial_station.db(), limit=100) if e.type == "printer.fault"]
    assert [(f["state"], f["slip"], f["fault"]) for f in faults] == [("paper_out", "ticket", "paper_out")]


def test_staff_see_the_failed_job_and_reprint_it_on_purpose(serial_client, serial_station, rig, card):
    rig.pull_paper()
    failed = serial_client.post("/api/v1/tickets", json={"service": "consult"}).get_json()
    print_outcome(serial_station, failed["id"])
    rig.load_paper()
    sign_in(serial_client, card)
    page = serial_client.get("/staff/print/").get_data(as_text=True)
    job = serial_station.printing.latest_for(failed["id"])
    assert f'data-job="{job.id}" data-state="failed" data-fault="paper_out"' in page and "缺纸" in page
    assert failed["number"] in page
    response = serial_client.post(f"/staff/print/{job.id}/reprint", data={"csrf_token": csrf_token(serial_client)})
    assert response.status_code == 302
    reprint = serial_station.printing.latest_for(failed["id"])
    assert reprint.id != job.id and reprint.reprint_of == job.id and reprint.by == "S001"
    assert print_outcome(serial_station, failed["id"], timeout=60).state.value == "printed"
    assert qr_count(rig, failed["id"]) == 1 and failed["number"] in rig.text()
    assert serial_client.post(f"/staff/print/{10**6}/reprint",
                              data={"csrf_token": csrf_token(serial_client)}).status_code == 302
    assert serial_station.printing.job(10**6) is None


@pytest.fixture
def card(serial_station: Station):
    from conftest import Card

    return Card(serial_station)


def test_a_job_that_waited_too_long_fails_as_stale_and_is_not_printed(station):
    conn = station.db()
    station.printing.stop()                       # no worker: the job waits, as behind a jammed queue
    data = station.printing.spooler.compose(lambda job: job.text("A099"))
    with store.transaction(conn):
        old = jobs.add(conn, "ticket", "t-old", data, station.clock() - jobs.STALE_AFTER - timedelta(seconds=1))
    assert station.printing.spooler.run_next(conn) is None
    assert jobs.get(conn, old.id).fault == "stale" and station.printer.jobs == []
    faults = [e.data for e in outbox.take(conn, limit=100) if e.type == "printer.fault"]
    assert [(f["job_id"], f["fault"]) for f in faults] == [(old.id, "stale")]


def test_a_job_still_being_sent_cannot_be_reprinted(station):
    conn = station.db()
    station.printing.stop()
    station.printing.submit(lambda job: job.text("A001"), what="ticket", ref="t1")
    sending = jobs.claim(conn, station.clock())
    with pytest.raises(jobs.PrintRefusal) as refused:
        station.printing.reprint(sending.id, by="S001")
    assert refused.value.code == "not_finished"


# -- a real kiosk process ------------------------------------------------------------
class Kiosk:
    """`vstation kiosk` as its own process, on a free port."""

    def __init__(self, config_path: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = open(config_path.parent / f"kiosk-{port}-{os.getpid()}.log", "a+", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "kiosk"],
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_healthy(self.url), "the kiosk did not start"

    def post_ticket(self, **body: object) -> dict:
        request = urllib.request.Request(self.url + "/api/v1/tickets", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def ticket(self, ticket_id: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/api/v1/tickets/{ticket_id}", timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


def job_states(db: Path, ref: str) -> list[tuple[str, str | None]]:
    conn = store.connect(db)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT state, fault FROM print_jobs WHERE ref = ? ORDER BY id",
                                                   (ref,))]
    finally:
        conn.close()


def test_after_kill_9_a_slip_being_sent_is_reported_not_sent_twice(tmp_path: Path, rig: SlowPrinter):
    port = free_port()
    path = serial_station_config(tmp_path / "station", rig, port)
    db = cfg.load(path).database_path
    kiosk = Kiosk(path, port)
    try:
        rig.hold()                                          # the slip is on the line, not yet on paper
        taken = kiosk.post_ticket(service="consult", language="bo")
        assert wait_until(lambda: job_states(db, taken["id"]) == [("sending", None)], 10)
        kiosk.proc.send_signal(signal.SIGKILL)
        kiosk.proc.wait(10)
        rig.release()                                       # what was already on the wire drains
        kiosk = Kiosk(path, port)
        assert wait_until(lambda: kiosk.ticket(taken["id"])["printed"] == "failed", 10)
        assert kiosk.ticket(taken["id"])["print_fault"] == "interrupted"
        assert job_states(db, taken["id"]) == [("failed", "interrupted")]
        after = kiosk.post_ticket(service="consult")        # the new kiosk prints on
        assert wait_until(lambda: kiosk.ticket(after["id"])["printed"] == "printed", 60)
        assert qr_count(rig, taken["id"]) <= 1, "the interrupted slip was not sent again"
        assert qr_count(rig, after["id"]) == 1
        conn = store.connect(db)
        faults = [e.data for e in outbox.take(conn, limit=1000) if e.type == "printer.fault"]
        conn.close()
        assert [(f["slip"], f["fault"], f["error"]) for f in faults] == [("ticket", "interrupted", "interrupted")]
    finally:
        kiosk.stop()


def read_print_events(port: int, out: list, ready: threading.Event, stop: threading.Event) -> None:
    """Collect the `print` notices of a screen's live stream: (job id, state)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/events")
    response = conn.getresponse()
    ready.set()
    event = None
    while not stop.is_set():
        line = response.readline().decode()
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event == "print" and "data-print-job" in line:
            job = line.split('data-print-job="')[1].split('"')[0]
            state = line.split('data-print-state="')[1].split('"')[0]
            out.append((int(job), state))
    conn.close()


def test_the_screen_hears_sending_then_printed_on_its_live_stream(tmp_path: Path, rig: SlowPrinter):
    port = free_port()
    kiosk = Kiosk(serial_station_config(tmp_path / "station", rig, port), port)
    heard: list = []
    ready, stop = threading.Event(), threading.Event()
    reader = threading.Thread(target=read_print_events, args=(port, heard, ready, stop), daemon=True)
    reader.start()
    try:
        assert ready.wait(10)
        taken = kiosk.post_ticket(service="consult")
        assert wait_until(lambda: (heard[-1][1] if heard else "") == "printed", 60)
        assert [state for _, state in heard] == ["queued", "sending", "printed"]
        assert len({job for job, _ in heard}) == 1
        assert paper.qr_payloads(bytes(rig.printed)) == [f"vstation:ticket:{taken['id']}"]
    finally:
        stop.set()
        kiosk.stop()


@pytest.mark.browser
def test_the_ticket_screen_turns_from_printing_to_printed_by_itself(browser, tmp_path: Path, rig: SlowPrinter):
    port = free_port()
    kiosk = Kiosk(serial_station_config(tmp_path / "station", rig, port), port)
    page = browser.new_page(viewport={"width": 800, "height": 480})
    try:
        rig.hold()
        page.goto(kiosk.url + "/queue/")
        page.locator("button.choice").first.click()
        status = page.locator(".print-status")
        status.wait_for()
        assert "正在打印号票" in status.inner_text()
        page.wait_for_function("document.body.dataset.live === '1'")
        rig.release()
        page.wait_for_selector('.print-status[data-print-state="printed"]', timeout=60_000)
        # the state and the words may land in two paints: wait for the words a resident reads
        page.wait_for_function("document.querySelector('.print-status').innerText.includes('请取走打印出来的号票')",
                               timeout=30_000)
        assert rig.cuts() == 1
    finally:
        page.close()
        kiosk.stop()
