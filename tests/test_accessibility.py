"""Every screen, in every language, as an elderly resident needs it.

A tour walks the demo kiosk in Debian's Chromium through the resident, member
and staff screens, in Chinese, Tibetan and English. On each screen: axe-core
(vendored, injected here) finds no serious or critical WCAG 2.2 AA violation;
every control is at least 64 px each way; no text is below 24 px; the bundled
fonts draw the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, Demo, demo_config

pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "vendor" / "axe-4.14.1.min.js"
LANGS = ("zh", "bo", "en")
MIN_TARGET_PX = 64
MIN_TEXT_PX = 24

# Controls and text measured on every screen; the simulator's own link is a tool for testers, not residents.
MEASURE = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const name = (el) => (el.innerText || el.getAttribute('aria-label') || el.value || el.outerHTML).trim().slice(0, 40);
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, [role=button]')) {
    if (!visible(el) || el.closest('[hidden]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < %(px)d || r.height < %(px)d) small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const tiny = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el) || el.closest('[hidden], svg, script, style')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < %(text)d) tiny.push(`${node.textContent.trim().slice(0, 30)} ${size}px`);
  }
  return {small, tiny};
}""" % {"px": MIN_TARGET_PX, "text": MIN_TEXT_PX}


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    running = Demo(tmp_path_factory.mktemp("a11y") / "demo")
    yield running
    running.stop()


def audit(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.x A/AA violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}, resultTypes: ['violations']})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check_screen(page, where: str, problems: list[str]) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    for line in audit(page):
        problems.append(f"{where}: {line}")
    sizes = page.evaluate(MEASURE)
    problems += [f"{where}: control smaller than {MIN_TARGET_PX}px: {s}" for s in sizes["small"]]
    problems += [f"{where}: text smaller than {MIN_TEXT_PX}px: {s}" for s in sizes["tiny"]]


def tap(sim, who: str) -> None:
    """Tap a demo member's card on the simulator's reader and wait until the station has it."""
    with sim.expect_response(lambda r: r.request.method == "POST"):
        sim.get_by_role("button", name=who).click()


def tour(browser, kiosk, lang: str) -> list[str]:
    """Walk the resident, member and staff screens in one language; what each check found."""
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sim = browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    page.goto(f"{kiosk.url}/lang/{lang}?next=/")
    for path in ("/", "/welcome", "/guide", "/checkin", "/queue/", "/queue/rate", "/lockers/", "/lockers/borrow",
                 "/lockers/deposit", "/help/", "/help/find", "/staff/"):
        page.goto(kiosk.url + path)
        check_screen(page, f"{lang} {path}", problems)
    page.goto(kiosk.url + "/text-size?next=/")          # the resident's larger text
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
    check_screen(page, f"{lang} / larger text", problems)
    page.goto(kiosk.url + "/text-size?next=/")

    page.goto(kiosk.url + "/queue/")
    page.locator("form button").first.click()
    page.locator(".ticket-number").wait_for()
    check_screen(page, f"{lang} ticket", problems)

    page.goto(kiosk.url + "/checkin")
    page.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "扎西")
    page.locator("#notice").wait_for(state="visible")
    check_screen(page, f"{lang} card notice", problems)
    page.goto(kiosk.url + page.locator("#notice a[href^='/me']").get_attribute("href"))   # it carries the tap
    check_screen(page, f"{lang} /me", problems)

    page.goto(kiosk.url + "/staff/")
    page.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "李娜")
    page.wait_for_url("**/staff/pin?tap=*")
    check_screen(page, f"{lang} /staff/pin", problems)
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    page.locator("form[data-keypad] button[type=submit]").click()
    page.wait_for_url("**/staff/menu")
    for path in ("/staff/menu", "/staff/counter/1", "/staff/points", "/staff/report",
                 "/staff/shop/", "/staff/shop/today", "/staff/shop/stock", "/staff/lockers/"):
        page.goto(kiosk.url + path)
        check_screen(page, f"{lang} {path}", problems)
    page.goto(kiosk.url + "/?idle=1")
    page.close()
    sim.close()
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_every_screen_passes_axe_and_has_big_targets_and_type(browser, kiosk, lang):
    problems = tour(browser, kiosk, lang)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def calendar_kiosk(tmp_path_factory):
    """The demo with its calendar (the week, holidays): the hours on the guide, home and idle screens."""
    folder = tmp_path_factory.mktemp("a11y-calendar") / "demo"
    demo_config(folder, calendar=True)
    running = Demo(folder)
    yield running
    running.stop()


def calendar_tour(browser, kiosk, lang: str) -> list[str]:
    """The hours, the duty clock and the door-step steps in one language."""
    problems: list[str] = []
    page, sim = browser.new_page(viewport={"width": 1280, "height": 800}), browser.new_page()
    sim.goto(kiosk.url + "/sim/")
    page.goto(f"{kiosk.url}/lang/{lang}?next=/")
    for path in ("/", "/welcome", "/guide", "/staff/duty/"):
        page.goto(kiosk.url + path)
        check_screen(page, f"{lang} {path}", problems)
    page.locator("body[data-live='1']").wait_for(state="attached")
    tap(sim, "李娜")
    page.wait_for_url("**/staff/duty/tap?tap=*")
    check_screen(page, f"{lang} duty tapped", problems)
    page.goto(kiosk.url + "/help/")
    for click, where in (("[data-category='door-step']", "building"), ("[data-building='barkor-1']", "unit"),
                         ("[data-unit='2']", "door")):
        page.locator(click).click()
        page.wait_for_load_state("load")
        check_screen(page, f"{lang} door-step {where}", problems)
    page.goto(kiosk.url + "/?idle=1")
    page.close()
    sim.close()
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_the_hours_duty_and_door_step_screens_pass_axe_and_have_big_targets_and_type(browser, calendar_kiosk, lang):
    problems = calendar_tour(browser, calendar_kiosk, lang)
    assert not problems, "\n".join(problems)


def _platform_fonts(page, selector: str) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_screens_draw_with_the_fonts_shipped_in_the_package(browser, kiosk):
    page = browser.new_page()
    page.goto(f"{kiosk.url}/lang/bo?next=/")
    page.evaluate("document.fonts.ready")
    tibetan = _platform_fonts(page, ".tile-title")
    assert tibetan and all(f["isCustomFont"] for f in tibetan), tibetan
    assert any("Tibetan" in f["familyName"] for f in tibetan)
    page.goto(f"{kiosk.url}/lang/zh?next=/")
    page.evaluate("document.fonts.ready")
    chinese = _platform_fonts(page, ".tile-title")
    assert chinese and all(f["isCustomFont"] for f in chinese), chinese
    assert any("Noto Sans" in f["familyName"] for f in chinese)
    page.close()


def test_the_font_files_are_served_from_the_package(kiosk):
    import urllib.request

    for name in ("NotoSansSC-Regular-GB2312.otf", "NotoSerifTibetan-Medium.ttf"):
        with urllib.request.urlopen(f"{kiosk.url}/fonts/{name}") as response:
            data = response.read()
        assert data == (Path(ROOT) / "kiosk" / "fonts" / name).read_bytes()
