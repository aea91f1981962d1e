"""The closed loop with real parts, in Debian's Chromium.

The station runs as systemd runs it, `vstation kiosk` and `vstation sync`,
with an RDM6300 card reader on a pty, linked to the demo's district (a local
mosquitto and the hub with its console). A resident asks for help at the
kiosk by touch; the dispatcher finds it on the console's 社区派单 page and
sends it to the demo member suggested first (the station's grid); the member
holds their card on the reader (its frames written into the pty), accepts
and finishes it at the kiosk; the resident rates it; the dispatcher sees
every step and records the return visit; the month's report shows it, with
its charts, and the printable month lists the request with its times.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from card_pty import Pty
from conftest import ROOT, KioskAndSync, demo_config, free_port, wait_until
from test_district_browser import STATION, logged_in
from test_help_browser import keypad

from kiosk import config as cfg
from kiosk import demo as demo_station
from kiosk.base import store
from kiosk.runner import start_demo_district

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
CARD = next(uid for member, uid in demo_station.ROSTER if member.id == "M001")     # 卓玛's card


def reader_state(url: str) -> str:
    with urllib.request.urlopen(url + "/api/v1/health", timeout=5) as answer:
        return json.loads(answer.read())["hardware"]["card_reader"]


@pytest.fixture
def demo(tmp_path: Path):
    """The demo station, its card reader an rdm6300 on a pty, as `vstation kiosk` + `vstation sync`,
    linked to the demo's district; `.reader` is the pty, `.console` and `.password` the district's."""
    data = tmp_path / "data"
    data.mkdir()
    demo_config(data)                                   # open at any hour, its staff console on loopback
    reader = Pty()
    hub, linked = start_demo_district(data, data / "station.toml")
    try:
        text = linked.read_text(encoding="utf-8")
        for old, new in (('[card_reader]\nkind = "sim"', f'[card_reader]\nkind = "rdm6300"\ndevice = "{reader.path}"'),
                         ('[kiosk]\nlisten = "127.0.0.1:8080"', f'[kiosk]\nlisten = "127.0.0.1:{free_port()}"')):
            assert old in text
            text = text.replace(old, new)
        linked.write_text(text, encoding="utf-8")
        config = cfg.load(linked)
        conn = store.open_store(config.database_path)
        demo_station.seed(conn, new_member_points=config.points.new_member)
        conn.close()
        running = KioskAndSync(linked)
        try:
            assert wait_until(lambda: reader_state(running.url) == "ok", 20), running.output()
            running.reader, running.console, running.password = reader, hub.console_url.rstrip("/"), hub.password
            yield running
        finally:
            running.stop()
    finally:
        hub.stop()
        reader.close()


def resident_asks(browser, demo) -> str:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(demo.url + "/")
    page.locator(".tile-help").click()
    page.locator("button[data-category='repairs']").click()
    keypad(page, "13812345678")
    page.get_by_role("button", name="下一步").click()
    page.locator("label.toggle", has_text="水龙头漏水").click()
    page.get_by_role("button", name="下一步").click()
    page.locator("button[data-time='today_pm']").click()
    page.locator("#consent-yes").click()
    page.locator("#confirm").click()
    number = page.locator(".ticket-number").inner_text()
    page.close()
    return number


def member_does_it(browser, demo) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(demo.url + "/")
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    demo.reader.tap(CARD)                                     # held on the RDM6300: two frames
    page.locator("#notice a[data-tasks='1']").click(timeout=10000)
    page.locator("section.task[data-state='dispatched']").wait_for()
    page.locator("[data-action='accept']").click()
    page.locator("[data-action='done']").click()
    page.locator("[data-choice='solved']").click()
    page.locator("section.task[data-state='done']").wait_for()
    page.close()


def resident_rates(browser, demo, number: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(demo.url + "/help/find")
    keypad(page, number)
    page.get_by_role("button", name="查询").click()
    page.locator(".star-button").nth(3).click()              # four stars
    assert "谢谢您的评价" in page.locator("h1").inner_text()
    page.close()


def test_asked_at_the_kiosk_dispatched_from_the_console_done_by_card_rated_and_visited(browser, demo):
    number = resident_asks(browser, demo)
    console = logged_in(browser, demo)
    console.get_by_role("link", name="社区派单").click()
    link = console.locator("table.waiting a", has_text=number)
    link.wait_for(timeout=40000)                              # the page refreshes itself (htmx, every 10 s)
    assert "小修小补" in console.locator("table.waiting").inner_text()    # the category by its name
    link.click()
    assert console.locator("input[name=member_id]").first.get_attribute("value") == "M001"
    console.screenshot(path=str(SHOTS / "district-dispatch.png"), full_page=True)
    console.get_by_role("button", name="派单").click()
    assert "派单已签名发往站点" in console.locator(".flash.ok").inner_text()

    def state_is(word: str) -> bool:
        console.reload()
        return word in console.locator("h1").inner_text()
    for _ in range(60):
        if state_is("已派单"):
            break
        console.wait_for_timeout(500)
    assert state_is("已派单")
    member_does_it(browser, demo)
    resident_rates(browser, demo, number)
    for _ in range(60):
        if "居民评价 4 星" in console.locator("table.steps").inner_text():
            break
        console.wait_for_timeout(500)
        console.reload()
    steps = console.locator("table.steps").inner_text()
    assert "M001 接单" in steps and "M001 完成：已解决" in steps and "居民评价 4 星" in steps
    console.select_option("select[name=reached]", "1")
    console.select_option("select[name=satisfaction]", "5")
    console.fill("form input[name=note]", "水龙头修好了")
    console.get_by_role("button", name="记录回访").click()
    assert "联系上，满意度 5" in console.locator("table.visits").inner_text()

    console.get_by_role("link", name="报表").click()                 # this month so far, by day
    console.select_option("select[name=station]", STATION)
    console.get_by_role("button", name="查看").click()
    console.locator("#report-charts[data-drawn='5']").wait_for(timeout=10000)
    assert console.locator("#satisfaction").inner_text() == "5.0"  # the return visit's score
    console.screenshot(path=str(SHOTS / "district-reports.png"), full_page=True)
    console.get_by_role("link", name=re.compile("打印 .* 月报")).click()
    row = console.locator("table.requests tr", has_text=number).inner_text()
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)
    assert len(times) == 4 and times == sorted(times) and "M001" in row and "已完成" in row   # asked → done
    console.close()
