"""The now-serving display on the wall: what it shows and says when numbers are taken and called."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import threading
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, Demo
from test_flows_browser import say

from drivers.voice import NoVoice

SHOTS = ROOT / "docs" / "screenshots"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (`make test` installs it)")


def counter_number(html: str, counter: str) -> str:
    """The big number shown at a counter on the board."""
    block = re.search(rf'data-counter="{counter}".*?class="d-counter-number">([^<]*)<', html, re.S)
    return block.group(1).strip()


def service_row(html: str, service: str) -> tuple[str, list[str]]:
    """(waiting count, last numbers called) on a service's row of the board."""
    row = re.search(rf'<tr data-service="{service}">(.*?)</tr>', html, re.S).group(1)
    waiting = re.search(r'class="d-waiting">(\d+)<', row).group(1)
    return waiting, re.findall(r'class="d-called">([^<]+)<', row)


def call_next(station, counter: str = "1"):
    return station.counter_action("call_next", counter, staff_id="S001")


# -- the board over HTTP --------------------------------------------------------------

def test_the_board_shows_the_called_number_at_its_counter_and_who_still_waits(client, station):
    for _ in range(3):
        station.take_ticket("consult")
    station.take_ticket("print")
    call_next(station, "1")
    html = client.get("/display/board").get_data(as_text=True)
    assert counter_number(html, "1") == "A001"
    assert counter_number(html, "2") == "—"
    assert "1 号窗口" in html and "请到窗口" in html
    assert service_row(html, "consult") == ("2", ["A001"])
    assert service_row(html, "print") == ("1", [])


def test_the_last_five_numbers_called_are_listed_newest_first(client, station):
    # A minute between readings of the clock, as between real calls (the board orders by call time).
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=10, minute=0, second=0, microsecond=0)
    minutes = itertools.count()
    station.queue.clock = lambda: start + timedelta(minutes=next(minutes))
    for _ in range(7):
        station.take_ticket("consult")
    for _ in range(6):
        ticket = call_next(station)
        station.counter_action("done", "1", staff_id="S001", ticket_id=ticket.id)
    html = client.get("/display/board").get_data(as_text=True)
    assert service_row(html, "consult") == ("1", ["A006", "A005", "A004", "A003", "A002"])
    assert counter_number(html, "1") == "—"     # the counter is free again


def test_the_display_page_has_the_station_name_clock_board_and_sound_button(client, station):
    station.take_ticket("consult")
    call_next(station)
    page = client.get("/display")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "绕赛社区 V站" in html and 'id="clock-time"' in html
    assert counter_number(html, "1") == "A001"
    assert "点击开启声音" in html
    assert 'data-timezone="Asia/Shanghai"' in html


@needs_espeak
def test_a_called_ticket_is_spoken_as_a_wav(client, station):
    station.take_ticket("consult")
    ticket = call_next(station)
    response = client.get(f"/display/voice/{ticket.id}.wav")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data.startswith(b"RIFF") and len(response.data) > 5000
    assert response.headers["Cache-Control"] == "private, max-age=3600"


def test_no_voice_for_an_unknown_ticket_a_waiting_one_or_a_silent_station(client, station):
    assert client.get("/display/voice/no-such-ticket.wav").status_code == 404
    waiting = station.take_ticket("consult").issued.ticket
    assert client.get(f"/display/voice/{waiting.id}.wav").status_code == 404    # not called yet
    called = call_next(station)
    station.voice = NoVoice()
    assert client.get(f"/display/voice/{called.id}.wav").status_code == 404


def test_call_and_queue_notices_reach_the_display_stream_with_their_data(client, station):
    response = client.get("/events")
    chunks = response.response
    assert next(chunks).startswith(b"retry:")
    station.take_ticket("consult")
    ticket = call_next(station)
    heard = []
    while len(heard) < 2:
        chunk = next(chunks).decode()
        if not chunk.startswith("event: print\n"):      # the ticket's print progress goes to its own screen
            heard.append(chunk)
    queue_notice, call_notice = heard
    response.close()
    assert queue_notice.startswith("event: queue\n") and 'data-service="consult"' in queue_notice
    assert call_notice.startswith("event: call\n")
    assert f'data-ticket="{ticket.id}"' in call_notice and 'data-counter="1"' in call_notice
    assert "请 A001 号到 1 号窗口" in call_notice


# -- the display in a real Chromium -----------------------------------------------------



@pytest.fixture
def served(app):
    """The test station's app on a free loopback port, so the test can call numbers in-process."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def running(tmp_path: Path):
    demo = Demo(tmp_path / "demo")
    yield demo
    demo.stop()


def open_display(browser, url: str):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(url + "/display")
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    return page


def take_ticket_over_http(base: str, service: str = "consult") -> dict:
    request = urllib.request.Request(base + "/api/v1/tickets", data=json.dumps({"service": service}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@pytest.mark.browser
def test_a_ticket_taken_at_the_kiosk_appears_on_the_wall_without_a_reload(browser, running):
    page = open_display(browser, running.url)
    waiting = page.locator("tr[data-service='consult'] .d-waiting")
    assert waiting.inner_text() == "0"
    page.evaluate("window.__sameDocument = true")
    assert take_ticket_over_http(running.url)["number"] == "A001"
    page.wait_for_function("document.querySelector(\"tr[data-service='consult'] .d-waiting\").textContent === '1'",
                           timeout=5000)
    assert page.evaluate("window.__sameDocument") is True      # updated in place, not reloaded
    assert page.locator(".d-counter[data-counter='1'] .d-counter-number").inner_text() == "—"


@pytest.mark.browser
def test_a_call_is_shown_at_once_and_heard_once_sound_is_switched_on(browser, served, station):
    for _ in range(3):
        station.take_ticket("consult")
    page = open_display(browser, served)      # a fresh browser keeps the page silent until it is tapped
    sound = page.get_by_role("button", name="点击开启声音")
    assert sound.is_visible()

    first = call_next(station, "1")
    callout = page.locator("#callout")
    callout.wait_for(state="visible", timeout=5000)
    assert callout.inner_text() == "请 A001 号到 1 号窗口"
    number = page.locator(".d-counter[data-counter='1'] .d-counter-number")
    page.wait_for_function("document.querySelector(\".d-counter[data-counter='1'] .d-counter-number\")"
                           ".textContent === 'A001'", timeout=5000)
    assert "just-called" in page.locator(".d-counter[data-counter='1']").get_attribute("class")
    assert page.locator("tr[data-service='consult'] .d-waiting").inner_text() == "2"
    assert page.locator("body").get_attribute("data-heard") is None     # locked: nothing was played

    sound.click()
    sound.wait_for(state="hidden", timeout=5000)
    assert page.locator("body").get_attribute("data-sound") == "on"
    station.counter_action("done", "1", staff_id="S001", ticket_id=first.id)
    call_next(station, "1")
    page.get_by_text("请 A002 号到 1 号窗口").wait_for(timeout=5000)
    page.wait_for_function("document.querySelector(\".d-counter[data-counter='1'] .d-counter-number\")"
                           ".textContent === 'A002'", timeout=5000)
    wanted = "chime voice:A002" if shutil.which("espeak-ng") else "chime"
    page.wait_for_function(f"document.body.dataset.heard === '{wanted}'", timeout=10000)

    page.reload()                                     # the screen as it looks between calls
    number.wait_for()
    assert number.inner_text() == "A002"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "display.png"))


def test_the_board_is_written_in_every_language_of_the_station(client, station):
    station.take_ticket("consult")
    call_next(station)
    html = client.get("/display").get_data(as_text=True)
    assert 'data-languages="zh bo en" data-showing="zh"' in html       # the station's own language first
    for code, words in (("zh", "请到窗口"), ("bo", "སྒོ་ཁར་ཕེབས་རོགས།"), ("en", "Please go to the counter")):
        assert f'<span data-lang="{code}" lang="{code}">{words}</span>' in html, code
    assert '<span data-lang="bo" lang="bo">རབ་གསལ་སྡོད་ཁུལ་ V ཞབས་ཞུའི་ས་ཚིགས།</span>' in html    # the station's name


@pytest.mark.browser
def test_the_wall_takes_turns_in_its_languages_and_a_call_is_said_in_each(browser, served, station):
    station.take_ticket("consult")
    page = open_display(browser, served)
    call_next(station, "1")
    callout = page.locator("#callout")
    callout.wait_for(state="visible", timeout=5000)
    assert callout.inner_text() == "请 A001 号到 1 号窗口"
    page.wait_for_function("document.body.dataset.showing === 'bo'", timeout=10000)
    bo = say("bo", "请 %(number)s 号到 %(counter)s 号窗口", number="A001", counter="1")
    assert callout.inner_text() == bo and "A001" in bo and bo != "请 A001 号到 1 号窗口"
    assert page.locator("thead th").first.inner_text() == say("bo", "服务项目")
    page.wait_for_function("document.body.dataset.showing === 'en'", timeout=10000)
    assert page.locator("thead th").first.inner_text() == "Services"
    assert page.locator(".d-station").inner_text() == "Barkor Community V-Station"
