"""A resident asks for help in a real Chromium (Debian's, driven by Playwright), only by touching the screen."""

from __future__ import annotations

import pytest
from conftest import ROOT
from test_accessibility import check_screen

from kiosk import config as cfg
from kiosk.base import store
from kiosk.help.desk import HelpDesk

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"


def keypad(page, digits: str) -> None:
    for d in digits:
        page.locator(f".keypad button[data-key='{d}']").click()


def member_takes_it_on(browser, running_demo, page, problems: list[str]) -> None:
    """The district dispatches (through the core, as its command would), the member taps and finishes it."""
    conn = store.connect(running_demo.data_dir / "station.db")
    desk = HelpDesk(cfg.load(running_demo.data_dir / "station.toml").help)
    desk.dispatch(conn, desk.find(conn, "1001").id, "M001", points=2, note="带上扳手")
    conn.close()
    page.goto(running_demo.url + "/")
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=5000)
    sim = browser.new_page()
    sim.goto(running_demo.url + "/sim/")
    with sim.expect_response(lambda r: r.request.method == "POST"):
        sim.get_by_role("button", name="卓玛").click()
    sim.close()
    link = page.locator("#notice a[data-tasks='1']")
    link.wait_for(state="visible", timeout=5000)
    check_screen(page, "card notice with tasks", problems)
    link.click()
    task = page.locator("section.task[data-state='dispatched']")
    assert "13812345678" in task.inner_text() and "带上扳手" in task.inner_text()
    check_screen(page, "tasks", problems)
    page.locator("[data-action='accept']").click()
    assert "已接单" in page.locator(".flash").inner_text()
    page.locator("[data-action='done']").click()
    check_screen(page, "outcomes", problems)
    page.locator("[data-choice='solved']").click()
    assert page.locator("section.task[data-state='done']").count() == 1
    assert "13812345678" not in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "help-tasks.png"))


def test_a_resident_asks_for_help_and_follows_it_up(browser, running_demo):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(running_demo.url + "/")
    problems: list[str] = []
    page.locator(".tile-help").click()
    check_screen(page, "categories", problems)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "help.png"))
    for button in page.locator(".choice").all():
        box = button.bounding_box()
        assert box["height"] >= 64 and box["width"] >= 64
    page.locator("button[data-category='repairs']").click()
    keypad(page, "1381234567")
    page.get_by_role("button", name="下一步").click()                  # ten digits: asked again
    assert "手机号码不对" in page.locator("#refusal").inner_text()
    assert page.locator("[data-keypad-display]").inner_text() == "1381234567"   # kept, to be corrected
    keypad(page, "8")
    assert page.locator("[data-keypad-display]").inner_text() == "13812345678"
    assert page.locator("#refusal").is_hidden()                                  # valid now: the stale error goes
    page.screenshot(path=str(SHOTS / "help-phone.png"))
    check_screen(page, "phone", problems)
    page.get_by_role("button", name="下一步").click()
    check_screen(page, "details", problems)
    page.locator("label.toggle", has_text="水龙头漏水").click()
    page.get_by_role("button", name="下一步").click()
    check_screen(page, "time", problems)
    page.locator("button[data-time='today_pm']").click()
    check_screen(page, "consent", problems)
    page.locator("#consent-yes").click()
    check_screen(page, "confirm", problems)
    assert page.locator("#phone-masked").inner_text() == "138****5678"
    assert "水龙头漏水" in page.locator("table.report").inner_text()
    page.locator("#confirm").click()
    number = page.locator(".ticket-number").inner_text()
    page.get_by_text("请取走打印出来的求助单").wait_for()     # the print worker's word, on the live stream
    assert number == "1001"
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=str(SHOTS / "help-slip.png"))
    check_screen(page, "slip", problems)

    page.goto(running_demo.url + "/help/")
    page.get_by_role("link", name="查询我的求助、评价").click()
    keypad(page, number)
    page.get_by_role("button", name="查询").click()
    assert page.locator("#state").get_attribute("data-state") == "open"
    assert "已提交求助" in page.locator(".timeline").inner_text()
    assert "13812345678" not in page.content()
    page.screenshot(path=str(SHOTS / "help-status.png"))
    check_screen(page, "status", problems)

    member_takes_it_on(browser, running_demo, page, problems)
    page.goto(running_demo.url + "/help/find")
    keypad(page, number)
    page.get_by_role("button", name="查询").click()
    assert page.locator("#state").get_attribute("data-state") == "done"
    check_screen(page, "status to rate", problems)
    page.locator(".star-button").last.click()
    assert "谢谢您的评价" in page.locator("h1").inner_text()
    for lang in ("bo", "en"):
        page.goto(f"{running_demo.url}/lang/{lang}?next=/help/")
        check_screen(page, f"{lang} categories", problems)
        for path in ("/help/find", "/tasks/"):
            page.goto(running_demo.url + path)
            check_screen(page, f"{lang} {path}", problems)
    assert not problems, "\n".join(problems)
    assert "13812345678" not in running_demo.output()
