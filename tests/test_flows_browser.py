"""The resident, member and staff flows end to end, in each of the three languages.

The demo runs as a resident meets it (`vstation run --simulate`); Debian's
Chromium taps the screens, and the simulator taps cards and shows the paper.
What each step must say is read from the compiled catalogs, so the test checks
that a Tibetan or English reader is answered in their language.
"""

from __future__ import annotations

import gettext

import pytest
from conftest import ROOT, Demo

pytestmark = pytest.mark.browser
LANGS = ("zh", "bo", "en")
SHOTS = ROOT / "docs" / "screenshots"


def say(lang: str, message: str, **values: object) -> str:
    """What the screen says for `message` in `lang` (the Chinese source for zh)."""
    if lang == "zh":
        text = message
    else:
        text = gettext.translation("messages", ROOT / "kiosk" / "translations", languages=[lang]).gettext(message)
    return text % values if values else text


@pytest.fixture
def kiosk(tmp_path):
    running = Demo(tmp_path / "demo")
    yield running
    running.stop()


@pytest.fixture
def pages(browser, kiosk):
    """The kiosk screen and the simulator panel beside it (where cards are tapped and paper comes out)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    screen, sim = context.new_page(), browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    yield screen, sim
    context.close()
    sim.close()


def tap(sim, who: str) -> None:
    with sim.expect_response(lambda r: r.request.method == "POST"):
        sim.get_by_role("button", name=who).click()


@pytest.mark.parametrize("lang", LANGS)
def test_a_resident_takes_a_number(pages, kiosk, lang):
    screen, _sim = pages
    screen.goto(f"{kiosk.url}/lang/{lang}?next=/")
    screen.locator("a.tile-queue").click()
    screen.locator("form button").first.click()
    assert screen.locator(".ticket-number").inner_text().startswith("A")
    assert screen.locator(".ok-line").inner_text() == say(lang, "请取走打印出来的号票。")
    screen.screenshot(path=str(SHOTS / f"flow-ticket-{lang}.png"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_member_taps_in_and_reads_their_points(pages, kiosk, lang):
    screen, sim = pages
    screen.goto(f"{kiosk.url}/lang/{lang}?next=/checkin")
    screen.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "扎西")
    notice = screen.locator("#notice")
    notice.wait_for(state="visible")
    text = notice.inner_text()
    assert say(lang, "签到成功。") in text or screen.locator("#notice [data-wait]").count() == 1
    screen.locator("#notice a[href^='/me']").click()
    assert screen.locator(".ticket-number").inner_text().isdigit()


@pytest.mark.parametrize("lang", LANGS)
def test_staff_redeem_goods_for_a_member_and_the_receipt_prints(pages, kiosk, lang):
    screen, sim = pages
    screen.goto(f"{kiosk.url}/lang/{lang}?next=/staff/")
    screen.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "李娜")
    screen.wait_for_url("**/staff/pin?tap=*")
    for digit in "1234":
        screen.locator(f"[data-key='{digit}']").first.click()
    screen.locator("form[data-keypad] button[type=submit]").click()
    screen.wait_for_url("**/staff/menu")
    screen.goto(kiosk.url + "/staff/shop/")
    screen.locator("form[action$='/soap/add'] button").click()
    assert screen.locator("[data-goods='soap']").inner_text() == "1"
    screen.locator("a[href$='/staff/shop/checkout']").click()
    screen.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "卓玛")
    screen.wait_for_url("**/staff/shop/confirm?tap=*")
    screen.locator("form[action$='/staff/shop/confirm'] button[type=submit]").click()
    assert screen.locator(".notice-title").inner_text() == say(lang, "兑换成功")
    assert screen.locator(".ok-line").inner_text() == say(lang, "凭证已打印。")
    screen.screenshot(path=str(SHOTS / f"flow-redeem-{lang}.png"))
