"""Every screen fits the station's real displays, in every language, at normal and at large text.

The sizes are the displays stations use: the Pi's 7-inch touch screen
(800×480), common 7-inch HDMI panels (1024×600), 10-inch panels (1280×800),
the newer Pi display upright (720×1280), and the now-serving TV (1920×1080).
On each, in Chinese, Tibetan and English, with standard and large text, a
tour visits every resident, member and staff screen of the demo kiosk and
the TV board, and checks what a person would meet:

- the page never scrolls sideways, and no control's text spills out of it;
- the screen's main action (marked `data-main` in its template) is on screen
  without scrolling;
- nothing fixed (or sticky) lies over text or a control;
- the header stays a header (it wraps, but never takes the screen);
- English and Tibetan read no Chinese punctuation, and Tibetan no Tibetan
  digits beside the Arabic ones the keypads, tickets and paper use.

One Chromium and one kiosk serve the whole module. Each language and text
size is one browser context (its own session: language, text size, staff
sign-in, cart) with one page that walks every screen; each screen is loaded
once and checked at every size by resizing the page, which lays it out
again exactly as a display of that size would. Screenshots of the main
screens go to docs/screenshots/<size>/ (Chinese at the standard size,
Tibetan with large text); a screen that fails is photographed into the
test's own folder, named in the failure.
"""

from __future__ import annotations

import http.client
import io
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT, Demo
from PIL import Image
from test_live import Browser

from kiosk import config as cfg
from kiosk.base import store
from kiosk.help.desk import HelpDesk

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
SIZES = {"800x480": (800, 480), "1024x600": (1024, 600), "1280x800": (1280, 800), "720x1280": (720, 1280),
         "1920x1080": (1920, 1080)}
LANGS = ("zh", "bo", "en")
TEXT = ("standard", "large")
SHOT_COMBOS = {("zh", "standard"), ("bo", "large")}
#: The screens photographed for docs/screenshots/<size>/ (every screen is checked).
SHOT_SCREENS = {"home", "ticket", "help-phone", "lockers-open", "staff-counter-called", "display"}
MEMBER, VOLUNTEER, STAFF, UNKNOWN = "0A1B2C3D4E", "0A00C0FFEE", "5A5A5A5A01", "9999999999"

CHECK = Path(__file__).with_name("layout_check.js").read_text(encoding="utf-8")


@dataclass
class Prepared:
    """What the tour revisits on every page: records made once, by the tour's own taps and forms."""
    ticket_waiting: str = ""
    ticket_to_rate: str = ""
    ticket_rated: str = ""
    request_open: str = ""
    request_rated: str = ""
    redemption: str = ""
    op_done: str = ""
    op_open: str = ""
    extra: dict = field(default_factory=dict)


class Hands:
    """The station's hardware and forms worked over HTTP, as the simulator panel and a kiosk browser do."""

    def __init__(self, kiosk: Demo) -> None:
        self.kiosk = kiosk
        self.http = Browser(kiosk.url)

    def tap(self, uid: str, *, capture: bool = True) -> str:
        """Tap a card on the simulator's reader; the tap's id, as a screen hears it in the card notice (a screen
        goes on with `?tap=<id>`). `capture`: as a staff or locker screen would, checking nobody in."""
        stream = http.client.HTTPConnection("127.0.0.1", self.kiosk.port, timeout=10)
        stream.request("GET", "/events?mode=capture" if capture else "/events")
        response = stream.getresponse()
        try:
            assert self.http.post("/sim/tap", uid=uid) == 200
            event = ""
            while True:
                line = response.readline().decode()
                assert line, "the card notice never came"
                if line.startswith("event: "):
                    event = line[7:].strip()
                found = re.search(r'data-tap="([^"]*)"', line)
                if event == "card" and found:
                    return found.group(1)
        finally:
            stream.close()

    def door(self, slot: str, action: str) -> None:
        assert self.http.post(f"/sim/door/{slot}/{action}") == 200

    def get(self, path: str) -> tuple[str, str]:
        with self.http.opener.open(self.kiosk.url + path) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, **form: str) -> tuple[str, str]:
        data = urllib.parse.urlencode({"csrf_token": self.http.token, **form}).encode()
        with self.http.opener.open(urllib.request.Request(self.kiosk.url + path, data=data)) as response:
            return response.geturl(), response.read().decode()


def prepare(kiosk: Demo) -> Prepared:
    """Tickets, help requests, a redemption and locker operations in the states the screens show."""
    hands, ready = Hands(kiosk), Prepared()
    ids = []
    for service in ("consult", "consult", "print"):     # the tour calls counter 1 (A): B003 waits on
        page = hands.get("/queue/")[1]
        key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
        ids.append(hands.post("/queue/take", service=service, request_key=key)[0].rsplit("/", 1)[1])
    hands.get(f"/staff/pin?tap={hands.tap(STAFF)}")
    hands.post("/staff/pin", pin="1234")
    for ticket in ids[:2]:
        hands.post("/staff/counter/1/call_next")
        hands.post("/staff/counter/1/done", ticket_id=ticket)
    ready.ticket_rated, ready.ticket_to_rate, ready.ticket_waiting = ids
    hands.post(f"/queue/rate/{ready.ticket_rated}", stars="5")
    hands.post("/staff/shop/cart/soap/add")
    hands.get("/staff/shop/checkout")
    page = hands.get(f"/staff/shop/confirm?tap={hands.tap(MEMBER)}")[1]
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    ready.redemption = hands.post("/staff/shop/confirm", key=key)[0].split("/done/")[1].split("?")[0]
    hands.post("/staff/signout")

    answers = {"category": "repairs", "phone": "13812345678", "details": "tap", "details_done": "1",
               "time": "today_pm", "consent": "yes"}
    for name in ("request_open", "request_rated"):
        page = hands.post("/help/ask", **answers)[1]
        key = re.search(r'name="key" value="([^"]+)"', page).group(1)
        url = hands.post("/help/submit", key=key, **answers)[0]
        setattr(ready, name, url.split("/help/r/")[1].split("/")[0])
    conn = store.connect(kiosk.data_dir / "station.db")
    desk = HelpDesk(cfg.load(kiosk.data_dir / "station.toml").help)
    desk.dispatch(conn, ready.request_open, "M001", points=2, note="带上扳手")
    desk.dispatch(conn, ready.request_rated, "M001", points=2)
    desk.accept(conn, ready.request_rated, "M001")
    desk.done(conn, ready.request_rated, "M001", "solved")
    conn.close()
    hands.post(f"/help/r/{ready.request_rated}/rate", stars="4")

    ready.op_done = hands.get(f"/lockers/borrow/go?tap={hands.tap(MEMBER)}")[0].rsplit("/", 1)[1]
    slot = re.search(r'class="slot-id[^"]*"[^>]*>([A-Z0-9]+)<', hands.get(f"/lockers/op/{ready.op_done}")[1]).group(1)
    hands.door(slot, "take")
    hands.door(slot, "close")
    ready.op_open = hands.get(f"/lockers/deposit/go?tap={hands.tap(VOLUNTEER)}")[0].rsplit("/", 1)[1]   # its door stays open: "in progress"
    return ready


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    data = tmp_path_factory.mktemp("layout") / "demo"
    running = Demo(data)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def prepared(kiosk) -> Prepared:
    return prepare(kiosk)


def shot(page, path: Path) -> None:
    """A screenshot for the docs, in 128 colours: the same screen, a third of the bytes in git."""
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


class Tour:
    """One page walking every screen in one language and text size, collecting what the checks found."""

    def __init__(self, page, kiosk: Demo, hands: Hands, ready: Prepared, lang: str, text: str,
                 failed: Path) -> None:
        self.page, self.kiosk, self.hands, self.ready = page, kiosk, hands, ready
        self.lang, self.text, self.failed = lang, text, failed
        self.problems: list[str] = []
        self.visited: list[str] = []
        self.shots = (lang, text) in SHOT_COMBOS

    def go(self, path: str) -> None:
        self.page.goto(self.kiosk.url + path, wait_until="domcontentloaded")

    def check(self, name: str, *, main: bool = True) -> None:
        """Check the screen on show at every size; `main=False` where a notice has come in above the
        screen's own content (then the notice itself must be on screen)."""
        self.page.evaluate("document.fonts.ready")
        suffix = "" if self.text == "standard" else "-large"
        for size, (width, height) in SIZES.items():
            self.page.set_viewport_size({"width": width, "height": height})
            found = self.page.evaluate(CHECK, {"lang": self.lang, "main": main})
            self.problems += [f"{size} {self.lang} {self.text} {name}: {p}" for p in found]
            if found:
                self.page.screenshot(path=str(self.failed / f"{size}-{name}-{self.lang}{suffix}.png"))
            if self.shots and name in SHOT_SCREENS:
                shot(self.page, SHOTS / size / f"{name}-{self.lang}{suffix}.png")
        self.visited.append(name)

    def visit(self, name: str, path: str, **kw) -> None:
        self.go(path)
        self.check(name, **kw)

    def click(self, selector: str) -> None:
        """Tap a control that sends a form or follows a link, and wait for the screen it leads to."""
        with self.page.expect_navigation(wait_until="domcontentloaded"):
            self.page.locator(selector).first.click()

    def keypad(self, keys: str) -> None:
        for key in keys:
            self.page.locator(f".keypad [data-key='{key}']").click()


def resident_screens(tour: Tour) -> None:
    r, page = tour.ready, tour.page
    tour.visit("home", "/")
    tour.visit("welcome", "/welcome")
    tour.visit("guide", "/guide")
    tour.visit("checkin", "/checkin")
    tour.visit("queue", "/queue/")
    tour.visit("queue-priority", "/queue/?priority=1")
    tour.visit("ticket", f"/queue/ticket/{r.ticket_waiting}")
    tour.visit("rate-find", "/queue/rate")
    tour.visit("rate", f"/queue/rate/{r.ticket_to_rate}")
    tour.visit("rate-thanks", f"/queue/rate/{r.ticket_rated}/thanks")
    tour.visit("lockers", "/lockers/")
    tour.visit("lockers-tap", "/lockers/borrow")
    tour.visit("lockers-return", "/lockers/return")
    tour.visit("lockers-open", f"/lockers/op/{r.op_open}")
    tour.visit("lockers-done", f"/lockers/op/{r.op_done}")
    tour.visit("lockers-refused", f"/lockers/borrow/go?tap={tour.hands.tap(UNKNOWN)}")
    tour.visit("help", "/help/")
    tour.click("button[data-category='repairs']")
    tour.check("help-phone")
    tour.keypad("1381234567")
    tour.click("[data-next]")
    tour.check("help-phone-refused")
    tour.keypad("8")
    tour.click("[data-next]")
    tour.check("help-details")
    page.locator("label.toggle").first.click()
    tour.click("[data-next]")
    tour.check("help-time")
    tour.click("button[data-time='today_pm']")
    tour.check("help-consent")
    tour.click("#consent-yes")
    tour.check("help-confirm")
    tour.visit("help-no-consent", "/help/no-consent")
    tour.visit("help-find", "/help/find")
    tour.keypad("4040")
    tour.click("[data-main] button[type=submit]")
    tour.check("help-not-found")
    tour.visit("help-slip", f"/help/r/{r.request_open}/slip")
    tour.visit("help-status", f"/help/r/{r.request_open}")
    tour.visit("help-thanks", f"/help/r/{r.request_rated}/thanks")


def member_screens(tour: Tour) -> None:
    tour.visit("tasks-tap", "/tasks/")               # nobody tapped yet: asks for a member's card
    tour.visit("me", f"/me?tap={tour.hands.tap(MEMBER)}")
    tour.visit("tasks", f"/tasks/?tap={tour.hands.tap(MEMBER)}")
    tour.visit("tasks-hand-back", f"/tasks/{tour.ready.request_open}/hand-back")


def staff_screens(tour: Tour) -> None:
    page = tour.page
    tour.visit("staff-start", "/staff/")
    tour.visit("staff-pin", f"/staff/pin?tap={tour.hands.tap(STAFF)}")
    tour.keypad("1234")
    tour.click("[data-main] button[type=submit]")
    assert page.url.endswith("/staff/menu"), page.url
    tour.check("staff-menu")
    tour.visit("staff-counter", "/staff/counter/1")
    tour.go("/queue/")
    tour.click("form button.choice")
    tour.go("/staff/counter/1")
    tour.click("[data-main] button[type=submit]")
    tour.check("staff-counter-called")
    tour.click("form[action$='/no_show'] button")
    assert page.locator("#confirm-action").count() == 1
    tour.check("staff-counter-confirm")                 # a no-show is asked once more
    tour.click("a.secondary-button[href$='/staff/counter/1']")
    tour.click("form[action$='/done'] button")
    tour.visit("staff-points", "/staff/points")
    tour.visit("staff-points-member", f"/staff/points/member?tap={tour.hands.tap(MEMBER)}")
    tour.go(f"/staff/points/member?tap={tour.hands.tap(VOLUNTEER)}")
    tour.click("form:has(input[name=item][value=absent]) button")
    assert page.locator("#confirm-deduct").count() == 1
    tour.check("staff-points-confirm")                  # a deduction is asked once more
    tour.visit("staff-report", "/staff/report")
    tour.go("/staff/shop/")
    if page.locator("[data-goods='soap']").inner_text() == "0":
        tour.click("form[action$='/soap/add'] button")
    tour.check("shop")
    tour.visit("shop-tap", "/staff/shop/checkout")
    tour.visit("shop-confirm", f"/staff/shop/confirm?tap={tour.hands.tap(MEMBER)}")
    tour.go("/staff/shop/")
    tour.click("form[action$='/rice/add'] button")
    tour.visit("shop-refused", f"/staff/shop/confirm?tap={tour.hands.tap(MEMBER)}")
    tour.go("/staff/shop/")
    tour.click("form[action$='/rice/remove'] button")
    tour.visit("shop-done", f"/staff/shop/done/{tour.ready.redemption}")
    tour.visit("shop-today", "/staff/shop/today")
    tour.visit("shop-void", f"/staff/shop/void/{tour.ready.redemption}")
    tour.visit("shop-stock", "/staff/shop/stock")
    tour.visit("shop-stock-goods", "/staff/shop/stock/rice")
    tour.visit("staff-lockers", "/staff/lockers/")
    tour.click("form[action$='/signout'] button")


def notice_screen(tour: Tour) -> None:
    """A card tapped on the check-in screen: the greeting comes in above the screen and covers nothing."""
    page = tour.page
    page.unroute("**/events*")
    tour.go("/checkin")
    page.locator("body[data-live='1']").wait_for(state="attached")
    tour.hands.tap(VOLUNTEER, capture=False)
    page.locator("#notice").wait_for(state="visible")
    tour.check("checkin-notice", main=False)
    page.route("**/events*", lambda route: route.abort())


@pytest.mark.parametrize("lang, text", [(lang, text) for lang in LANGS for text in TEXT])
def test_every_screen_fits_every_display(browser, kiosk, prepared, lang, text, tmp_path):
    for size in SIZES:
        (SHOTS / size).mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 800, "height": 480})
    page = context.new_page()
    # Screens are checked as they render; notices pushed by the station would arrive at random moments
    # (doors, the printer), so the live stream is opened only where a notice is what is being checked.
    page.route("**/events*", lambda route: route.abort())
    tour = Tour(page, kiosk, Hands(kiosk), prepared, lang, text, tmp_path)
    try:
        tour.go(f"/lang/{lang}?next=/")
        if text == "large":
            tour.go("/text-size?next=/")
        resident_screens(tour)
        member_screens(tour)
        staff_screens(tour)
        notice_screen(tour)
        tour.visit("display", "/display")
        tour.go("/?idle=1")
    finally:
        context.close()
    assert len(tour.visited) >= 50, tour.visited
    assert not tour.problems, f"{len(tour.problems)} problems (screenshots in {tmp_path}):\n" + "\n".join(tour.problems)


SIZES_OF_TEXT = """() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || el.closest("[hidden]") || !el.getClientRects().length) continue;
    sizes.push([walker.currentNode.textContent.trim().slice(0, 20), parseFloat(getComputedStyle(el).fontSize)]);
  }
  return {root: parseFloat(getComputedStyle(document.documentElement).fontSize), text: sizes};
}"""


@pytest.mark.parametrize("size", ["800x480", "1280x800"])
def test_large_text_really_enlarges(browser, kiosk, size):
    """Every piece of text on a screen grows, the smallest (reading) text by a third; headings, already
    big, grow less on a 7-inch screen so that the screen's action still fits."""
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.route("**/events*", lambda route: route.abort())
    for lang in LANGS:
        page.goto(f"{kiosk.url}/lang/{lang}?next=/")
        for path in ("/", "/guide", "/queue/", "/lockers/", "/help/", f"/lang/{lang}?next=/checkin"):
            page.goto(kiosk.url + path)
            path = urllib.parse.urlsplit(page.url).path
            standard = page.evaluate(SIZES_OF_TEXT)
            page.goto(f"{kiosk.url}/text-size?next={path}")
            large = page.evaluate(SIZES_OF_TEXT)
            page.goto(f"{kiosk.url}/text-size?next={path}")
            where = f"{size} {lang} {path}"
            assert large["root"] >= 1.3 * standard["root"], where
            before, after = dict(standard["text"]), dict(large["text"])
            # on a 7-inch screen the home tiles' hints give way to their names (the screens they open say more)
            assert len(after) >= 0.6 * len(before) and set(after) <= set(before), (where, set(before) - set(after))
            grown = {text: after[text] / before[text] for text in after}
            assert all(ratio >= 1.1 for ratio in grown.values()), (where, grown)
            smallest = min(before[text] for text in after)
            assert all(grown[text] >= 1.3 for text in after if before[text] == smallest) \
                or smallest > standard["root"], (where, grown)
    page.close()


def test_the_readme_shows_screens_at_the_small_and_the_large_display():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for size in ("800x480", "1280x800"):
        shown = re.findall(rf"docs/screenshots/{size}/[\w-]+\.png", readme)
        assert shown, f"README shows no screenshot at {size}"
        assert all((ROOT / path).exists() for path in shown), shown
