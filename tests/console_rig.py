"""Helpers for the staff console: the kiosk's staff showing a pairing code, a device pairing and signing in."""

from __future__ import annotations

import re

from test_queue_web import sign_in

from kiosk.web import create_app

HTTPS = "https://station.lan"


def csrf(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def pairing_code(kiosk_client) -> str:
    """At the residents' screen (already signed in): 配对设备 → 显示配对码; the 6 digits shown."""
    page = kiosk_client.get("/staff/devices").get_data(as_text=True)
    shown = kiosk_client.post("/staff/devices/code", data={"csrf_token": csrf(page)}).get_data(as_text=True)
    return re.search(r'id="pairing-code" data-link="[^"]*code=(\d{6})"', shown).group(1)


class Device:
    """A phone on the LAN: a browser of its own on the console's listener (HTTPS, secure cookies)."""

    def __init__(self, station, *, console_url: str = HTTPS + "/") -> None:
        self.app = create_app(station, listener="console", test_config={"TESTING": True})
        self.client = self.app.test_client()

    def get(self, path: str, **kw):
        return self.client.get(path, base_url=HTTPS, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        page = self.get("/staff/pair").get_data(as_text=True)     # any console page carries the CSRF token
        return self.client.post(path, base_url=HTTPS, data={"csrf_token": csrf(page), **(data or {})},
                                headers={"Referer": HTTPS + path}, **kw)

    def pair(self, code: str, name: str = "1号窗口的手机"):
        return self.post("/staff/pair", {"code": code, "name": name})

    def sign_in(self, staff_id: str = "S001", pin: str = "1234"):
        return self.post("/staff/signin", {"staff_id": staff_id, "pin": pin})


def paired_device(station, kiosk_client, card) -> Device:
    """A device paired by the kiosk's signed-in staff and signed in with S001's id and PIN."""
    sign_in(kiosk_client, card)
    device = Device(station)
    assert device.pair(pairing_code(kiosk_client)).status_code == 302
    assert device.sign_in().headers["Location"].endswith("/staff/menu")
    return device


def kiosk_staff_with_a_resident_waiting(browser, kiosk_url: str, *, fake_clock: bool = False):
    """The demo's residents' screen (1280 x 800) in a browser: a resident takes A001, then staff tap 李娜's card
    in the simulator and key PIN 1234; the kiosk page, signed in at 工作台. `fake_clock`: Playwright's clock
    drives the page's timers (the idle reset), installed before the first page loads."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    if fake_clock:
        page.clock.install()
    page.goto(kiosk_url + "/queue/")
    page.get_by_role("button", name="咨询服务").click()                     # a resident takes A001
    page.get_by_role("link", name="回到首页").click()
    page.get_by_role("link", name="工作人员").click()
    page.locator("body[data-live='1']").wait_for(state="attached", timeout=10000)
    sim = browser.new_page()
    sim.goto(kiosk_url + "/sim/")
    sim.get_by_role("button", name="李娜").click()                           # the demo's staff card
    page.wait_for_url("**/staff/pin?tap=*", timeout=10000)
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/menu")
    sim.close()
    return page
