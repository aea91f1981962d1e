"""The screens in a real Chromium (Debian's, driven by Playwright), as a resident sees them."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, Demo, demo_config

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"




@pytest.fixture
def kiosk(tmp_path: Path):
    """The demo with a short idle time, so the idle reset can be watched."""
    data = tmp_path / "demo"
    path = demo_config(data)
    path.write_text(path.read_text(encoding="utf-8").replace("idle_seconds = 60", "idle_seconds = 10"),
                    encoding="utf-8")
    running = Demo(data)
    yield running
    running.stop()


def screen(browser, kiosk):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(kiosk.url + "/")
    return page


def test_home_screen_and_the_readme_screenshot(browser, kiosk):
    page = screen(browser, kiosk)
    tiles = page.locator(".tile-title")
    assert tiles.all_inner_texts() == ["取号排队", "党员报到", "雨伞·充电", "我要求助", "服务指南", "工作人员"]
    for tile in page.locator(".tile").all():
        box = tile.bounding_box()
        assert box["height"] >= 64 and box["width"] >= 64   # big enough for an unsteady finger
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home.png"))
    page.get_by_role("link", name="English").click()
    assert page.locator(".tile-title").first.inner_text() == "Take a number"
    page.get_by_role("link", name="བོད་ཡིག").click()
    assert page.locator("html").get_attribute("lang") == "bo"
    page.screenshot(path=str(SHOTS / "home-bo.png"))


def test_a_card_tapped_in_the_simulator_greets_the_member_on_the_kiosk(browser, kiosk):
    page = screen(browser, kiosk)
    page.get_by_role("link", name="English").click()
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    sim = browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    sim.get_by_role("button", name="卓玛").click()
    notice = page.locator("#notice")
    notice.wait_for(state="visible", timeout=5000)
    assert "Hello, 卓玛!" in notice.inner_text()
    sim.get_by_role("button", name="unregistered card").click()
    page.get_by_text("This card is not registered yet").wait_for(timeout=5000)


def test_the_simulator_shows_the_printed_paper(browser, kiosk):
    sim = browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    sim.get_by_role("button", name="Print test page").click()
    sim.wait_for_function("() => { const img = document.querySelector('img.paper');"
                          " return img && img.complete && img.naturalWidth > 0; }", timeout=5000)
    assert sim.evaluate("document.querySelector('img.paper').naturalWidth") == 576
    sim.get_by_role("button", name="Pull the paper").click()
    sim.get_by_text("paper_out").wait_for(timeout=5000)


def test_idle_screen_counts_down_and_returns_home_in_the_default_language(browser, kiosk):
    page = screen(browser, kiosk)
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Service guide").click()
    assert page.url.endswith("/guide")
    page.locator("#idle").wait_for(state="visible", timeout=15000)
    assert "going back to the start" in page.locator("#idle").inner_text()
    page.wait_for_url(kiosk.url + "/", timeout=15000)
    assert page.locator(".tile-title").first.inner_text() == "取号排队"

    # Left alone at home, the idle screen comes: who we are, hours, staff, notices in turn.
    page.wait_for_url(kiosk.url + "/welcome", timeout=20000)
    assert page.locator(".welcome-name").inner_text() == "绕赛社区 V站"
    assert "李娜" in page.locator(".welcome-staff").inner_text()
    first = page.locator("[data-notice]:visible").inner_text()
    page.wait_for_function("document.querySelector('[data-notice]').hidden", timeout=12000)
    assert page.locator("[data-notice]:visible").inner_text() != first
    page.screenshot(path=str(SHOTS / "welcome.png"))
    page.locator(".welcome-start").click()
    page.wait_for_url(kiosk.url + "/", timeout=5000)


def test_a_resident_takes_a_number_and_staff_call_it_with_card_and_pin(browser, kiosk):
    page = screen(browser, kiosk)
    page.get_by_role("link", name="取号排队").click()
    page.get_by_role("button", name="咨询服务").click()
    assert page.locator(".ticket-number").inner_text() == "A001"
    page.get_by_text("请取走打印出来的号票").wait_for()     # the print worker's word arrives on the live stream
    page.screenshot(path=str(SHOTS / "ticket.png"))

    page.get_by_role("link", name="回到首页").click()
    page.get_by_role("link", name="工作人员").click()
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    sim = browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    sim.get_by_role("button", name="李娜").click()               # the staff card on the reader
    page.wait_for_url("**/staff/pin?tap=*", timeout=5000)
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    assert page.locator("[data-keypad-display]").inner_text() == "●●●●"
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="1 号窗口").click()
    page.get_by_role("button", name="叫下一位").click()
    assert page.locator("#current-number").inner_text(timeout=3000) == "A001"
    page.screenshot(path=str(SHOTS / "counter.png"))
    page.get_by_role("button", name="办完").click()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="为刚才的服务打分").click()
    page.get_by_role("link", name="给 A001 号的服务打分").click()
    page.get_by_role("button", name="非常满意").click()
    page.get_by_text("谢谢您的评价！").wait_for()


def test_a_member_checks_in_by_tapping_and_sees_their_points(browser, kiosk):
    page = screen(browser, kiosk)
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    sim = browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    sim.get_by_role("button", name="扎西").click()
    notice = page.locator("#notice")
    notice.wait_for(state="visible", timeout=5000)
    assert "签到成功" in notice.inner_text() and "现有积分：10 分" in notice.inner_text()
    page.screenshot(path=str(SHOTS / "checkin.png"))
    page.get_by_role("link", name="查看积分明细").click()
    assert page.locator(".ticket-number").inner_text() == "10"
    assert page.get_by_text("新成员基础分").is_visible()



def test_a_taken_ticket_is_confirmed_with_a_chime_and_its_number_said_aloud(kiosk_browser, kiosk):
    page = kiosk_browser.new_page()
    page.goto(kiosk.url + "/queue/")
    page.get_by_role("button", name="咨询服务").click()
    number = page.locator(".ticket-number").inner_text()
    page.wait_for_function("(document.body.dataset.heard || '').includes('voice')", timeout=10000)
    assert page.locator("body").get_attribute("data-heard") == "chime voice"
    ticket_id = page.locator(".ticket-number").get_attribute("data-ticket")
    with urllib.request.urlopen(f"{kiosk.url}/queue/ticket/{ticket_id}/voice.wav") as response:
        assert response.headers["Content-Type"] == "audio/wav" and response.read(4) == b"RIFF"
    assert number
