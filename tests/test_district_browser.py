"""The one-laptop demo with its district, as a new user would try it (`vstation run --simulate --district`).

In Debian's Chromium: the board shows the station; a ticket taken at the
kiosk is in the hub's database once; pulling the simulated paper raises an
alert on the board; a notice published from the console shows on the
kiosk; printer.test sent from the station page comes back done. The board
is looked at in 1920×1080 and on a laptop (1366×768), in 中文 and English.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Demo, ROOT, wait_until

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
STATION = "demo-barkor-01"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("district-demo")
    running = Demo(folder / "data", "--district")
    settings = tomllib.loads((folder / "data" / "district" / "district.toml").read_text())
    running.console = "http://" + settings["console"]["listen"]
    running.password = (folder / "data" / "district" / "admin-password.txt").read_text().strip()
    running.hub_db = folder / "data" / "district" / "district.db"
    yield running
    running.stop()


def hub_rows(demo, sql: str, *args) -> list:
    conn = sqlite3.connect(demo.hub_db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def logged_in(browser, demo, width: int = 1920, height: int = 1080):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(demo.console + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", demo.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(demo.console + "/")
    return page


def test_the_board_shows_the_station_and_a_ticket_arrives_once(browser, demo):
    page = logged_in(browser, demo)
    row = page.locator(f"tr[data-station={STATION}]")
    row.wait_for(timeout=20000)
    page.wait_for_function(f"document.querySelector('tr[data-station={STATION}]').innerText.includes('在线')",
                           timeout=30000)
    events = logged_in(browser, demo)
    events.goto(f"{demo.console}/stations/{STATION}")
    request = urllib.request.Request(demo.url + "/api/v1/tickets", data=json.dumps({"service": "consult"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    ticket = json.loads(urllib.request.urlopen(request, timeout=10).read())
    query = "SELECT COUNT(*) FROM events WHERE type = 'ticket.issued' AND json_extract(data, '$.ticket_id') = ?"
    assert wait_until(lambda: hub_rows(demo, query, ticket["id"])[0][0] == 1, 40)
    wait_until(lambda: False, 2)                 # a re-send after the ack timeout would be de-duplicated
    assert hub_rows(demo, query, ticket["id"])[0][0] == 1
    events.locator("#event-list tr", has_text=ticket["id"]).wait_for(timeout=20000)   # arrives on the open page
    events.close()
    page.screenshot(path=str(SHOTS / "district-board.png"))
    laptop = logged_in(browser, demo, 1366, 768)
    laptop.get_by_role("link", name="English").click()
    assert "Stations board" in laptop.inner_text("header")
    width = laptop.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the board is {width}px wide on a 1366px laptop"
    laptop.close()
    page.close()


def test_pulling_the_paper_raises_an_alert_on_the_board(browser, demo):
    sim = browser.new_page()
    sim.goto(demo.url + "/sim/")
    sim.get_by_role("button", name="Pull the paper").click()
    page = logged_in(browser, demo)
    page.locator(".alert.paper_out").wait_for(timeout=60000)
    assert STATION in page.locator(".alert.paper_out").inner_text()
    assert "打印机缺纸" in page.locator(".alert.paper_out").inner_text()
    sim.get_by_role("button", name="Load paper").click()
    sim.close()
    page.close()


def test_a_notice_published_from_the_console_shows_on_the_kiosk(browser, demo):
    page = logged_in(browser, demo)
    page.get_by_role("link", name="文档").click()
    page.get_by_role("link", name="编辑 notices（所有站点）").click()
    page.fill("input[name=title_zh]", "周三停水通知")
    page.fill("input[name=title_en]", "Water cut on Wednesday")
    page.fill("textarea[name=body_zh]", "周三 9:00–17:00 停水")
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    page.fill("input[name=valid_from]", (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=valid_until]", (local + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="发布新版本").click()
    assert "已发布给所有站点" in page.locator(".flash.ok").inner_text()
    cell = page.locator("td[data-kind=notices]").first
    assert wait_until(lambda: "周三停水通知" in urllib.request.urlopen(demo.url + "/welcome", timeout=5).read()
                      .decode(), 40)
    page.reload()
    assert "应用 v1" in cell.inner_text()
    page.screenshot(path=str(SHOTS / "district-documents.png"))
    page.close()


def test_printer_test_sent_from_the_station_page_comes_back_done(browser, demo):
    page = logged_in(browser, demo)
    page.goto(f"{demo.console}/stations/{STATION}")
    page.select_option("select[name=name]", "printer.test")
    page.get_by_role("button", name="签名并发送").click()
    assert "printer.test" in page.locator(".flash.ok").inner_text()
    row = page.locator("tr[data-command]", has_text="printer.test")
    row.locator(".state.done").wait_for(timeout=30000)
    assert '"printed": true' in row.inner_text()
    page.wait_for_function("Number(document.getElementById('charts').dataset.loaded || 0) > 0", timeout=20000)
    page.screenshot(path=str(SHOTS / "district-station.png"), full_page=True)
    page.close()


def test_a_config_the_station_refuses_shows_its_reasons(browser, demo):
    page = logged_in(browser, demo)
    page.goto(f"{demo.console}/documents/config/edit?target={STATION}")
    page.fill("textarea[name=text]", json.dumps({"points": {"per_hour": 1000}}))
    page.get_by_role("button", name="发布新版本").click()
    assert "config" in page.locator(".flash.ok").inner_text()

    def refused() -> bool:
        page.goto(f"{demo.console}/stations/{STATION}")
        return "per_hour" in page.locator("#documents").inner_text()
    assert wait_until(refused, 40)
    assert "found 1000" in page.locator("#documents ul.reasons").inner_text()
    page.close()
