"""Borrow and return an umbrella in a real Chromium, with the doors worked from the simulator panel."""

from __future__ import annotations

import pytest
from conftest import ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"


def test_borrow_and_return_an_umbrella_through_the_simulator(browser, running_demo):
    kiosk = browser.new_page(viewport={"width": 1280, "height": 800})
    sim = browser.new_page(viewport={"width": 1280, "height": 900})
    sim.goto(running_demo.url + "/sim/")
    kiosk.goto(running_demo.url + "/")
    kiosk.click("a.tile-lockers")
    kiosk.click("#locker-borrow")
    kiosk.wait_for_selector("body[data-live='1']")
    sim.click("button:has-text('卓玛')")                     # the member taps her card
    kiosk.wait_for_selector(".locker-status[data-phase='open']", timeout=10_000)   # the door sprang open
    kiosk.screenshot(path=str(SHOTS / "lockers-borrow.png"))
    row = sim.locator("#lockers tr[data-slot='U1']")
    row.locator("button:has-text('Take item out')").click()
    sim.wait_for_selector("#lockers tr[data-slot='U1'] .item:has-text('empty')")
    row = sim.locator("#lockers tr[data-slot='U1']")
    row.locator("button:has-text('Close door')").click()
    kiosk.wait_for_selector("#locker-done", timeout=10_000)
    assert "借伞成功" in kiosk.inner_text("#locker-status")

    kiosk.goto(running_demo.url + "/lockers/return")
    kiosk.wait_for_selector("body[data-live='1']")
    sim.click("button:has-text('卓玛')")
    kiosk.wait_for_selector(".locker-status[data-phase='open']", timeout=10_000)
    assert "U1" in kiosk.inner_text("#locker-status")         # the empty umbrella slot opened
    sim.locator("#lockers tr[data-slot='U1'] button:has-text('Put item in')").click()
    sim.wait_for_selector("#lockers tr[data-slot='U1'] .item:has-text('present')")
    sim.locator("#lockers tr[data-slot='U1'] button:has-text('Close door')").click()
    kiosk.wait_for_selector("#locker-done", timeout=10_000)
    assert "还伞成功" in kiosk.inner_text("#locker-status")
    kiosk.screenshot(path=str(SHOTS / "lockers-return.png"))
    sim.screenshot(path=str(SHOTS / "lockers-simulator.png"))
    kiosk.close()
    sim.close()
