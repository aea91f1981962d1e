"""The staff console's real listener: HTTPS with the certificate `vstation init` makes, staff screens only,
plain HTTP answered in words, an unusable certificate refused at start; a phone pairs and calls a number."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import free_port, vstation
from console_rig import kiosk_staff_with_a_resident_waiting, pairing_code
from test_queue_web import sign_in

from kiosk.upkeep.console_cert import fingerprint_of, lan_addresses, local_names, write_certificate
from kiosk.web.tls_listener import ConsoleListener

SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path, Path]:
    cert, key, ca = tmp_path / "console.crt", tmp_path / "console.key", tmp_path / "console-ca.crt"
    write_certificate(cert, key, ca, station_id="demo-barkor-01", names=["localhost", "127.0.0.1"])
    return cert, key, ca


@pytest.fixture
def console(station, certificate):
    cert, key, _ca = certificate
    settings = replace(station.config.staff_console, enabled=True, host="127.0.0.1", port=free_port(),
                       cert=str(cert), key=str(key))
    listener = ConsoleListener(station, settings).start()
    yield listener
    listener.stop()


def fetch(url: str, ca: Path) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(ca))          # the station's CA, as a phone that trusts it
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_console_speaks_https_with_the_station_certificate_and_serves_staff_screens_only(console, certificate):
    ca = certificate[2]
    assert console.url == f"https://127.0.0.1:{console.server.bind_addr[1]}/"
    status, page = fetch(console.url + "staff/", ca)
    assert status == 403 and "这台设备还没有配对" in page                  # verified TLS, the console's own screen
    assert fetch(console.url + "staff/pair", ca)[0] == 200
    for path in ("", "queue/", "welcome", "me", "tasks/", "lockers/", "help/", "display", "sim/", "events",
                 "api/v1/health", "api/v1/tickets"):
        assert fetch(console.url + path, ca)[0] == 404, path


def test_a_plain_http_request_to_the_console_is_told_it_speaks_https_only(console):
    with socket.create_connection(("127.0.0.1", console.server.bind_addr[1]), timeout=10) as sock:
        sock.sendall(b"GET /staff/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except ConnectionResetError:    # the server closes at once after its answer
            pass
    assert answer.startswith(b"HTTP/1.1 400") and b"it speaks HTTPS only. Open https://127.0.0.1/staff/" in answer


def test_the_certificate_names_the_station_and_its_fingerprint_is_stable(certificate):
    cert, key, ca = certificate
    assert ssl.PEM_cert_to_DER_cert(cert.read_text().split("-----END CERTIFICATE-----")[0]
                                    + "-----END CERTIFICATE-----\n")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert len(fingerprint_of(cert).split(":")) == 32


@pytest.mark.parametrize("broken", ["missing", "garbage-key"])
def test_a_certificate_or_key_that_cannot_be_read_stops_the_kiosk_with_one_line(config_path, certificate, broken):
    cert, key, _ca = certificate
    if broken == "garbage-key":
        key.write_text("not a key\n")
        cert_value, key_value = cert, key
    else:
        cert_value, key_value = cert.with_name("nowhere.crt"), key
    text = config_path.read_text(encoding="utf-8")
    listen = re.search(r'enabled = true\nlisten = "127\.0\.0\.1:\d+"', text).group(0)   # conftest.demo_config
    config_path.write_text(text.replace(listen, f'{listen}\ncert = "{cert_value}"\nkey = "{key_value}"'),
                           encoding="utf-8")
    result = vstation("--config", str(config_path), "kiosk")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("vstation kiosk: staff_console: cannot use the certificate") and "init --console-cert" in lines[0]


def phone_signed_in(browser, console, client, card):
    """A phone at 360 x 640 that pairs with the code the kiosk's staff show and signs in as S001: its page."""
    sign_in(client, card)
    code = pairing_code(client)
    phone = browser.new_context(viewport={"width": 360, "height": 640}, ignore_https_errors=True,
                                is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{console.url}staff/pair?code={code}")          # what the QR code at the kiosk opens
    page.get_by_label("设备名称").fill("前台手机")
    page.get_by_role("button", name="配对").click()
    page.wait_for_url("**/staff/signin")
    page.get_by_label("工号").fill("S001")
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/menu")
    return page


@pytest.mark.browser
def test_a_phone_pairs_over_tls_and_calls_the_next_number(browser, console, station, client, card):
    station.take_ticket("consult")
    page = phone_signed_in(browser, console, client, card)
    page.get_by_role("link", name="1 号窗口").click()
    page.get_by_role("button", name="叫下一位").click()
    assert page.locator("#current-number").inner_text(timeout=5000) == "A001"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360           # fits the phone
    page.screenshot(path=str(SCREENSHOTS / "console-phone.png"))
    page.context.close()


def numbers(page, where: str) -> list[str]:
    return page.locator(f"{where} .waiting-row").evaluate_all("rows => rows.map(r => r.dataset.number)")


@pytest.mark.browser
def test_a_phone_works_its_counter_live_over_tls(browser, console, station, client, card):
    for priority in (False, False, True):
        station.take_ticket("consult", priority=priority)               # A001, A002, A003 (priority)
    page = phone_signed_in(browser, console, client, card)
    page.get_by_role("link", name="1 号窗口").click()
    consult = "[data-service='consult']"
    assert numbers(page, consult) == ["A003", "A001", "A002"]
    assert page.locator(f"{consult} [data-number='A003'] .priority-mark").is_visible()
    page.wait_for_function("document.body.dataset.live === '1'")          # the phone hears the station
    station.take_ticket("certify")                                       # taken at the kiosk meanwhile …
    page.locator("[data-service='certify'] [data-number='C001']").wait_for(timeout=10000)    # … shown live
    page.get_by_role("button", name="叫 A002 号").click()               # a resident steps up out of turn
    assert page.locator("#current-number").inner_text(timeout=5000) == "A002"
    page.get_by_role("button", name="过号").click()
    page.get_by_role("button", name="确认过号").click()                  # asked once more
    page.get_by_role("button", name="A002 重新排队").click()            # back, at the end of the line
    page.locator("#no-shows").wait_for(state="detached")
    assert numbers(page, consult) == ["A003", "A001", "A002"]
    station.button_pressed("1", "next")                                  # the counter's call button
    assert page.locator("#current-number").inner_text(timeout=10000) == "A003"   # the phone follows
    page.get_by_role("button", name="办完").click()
    page.get_by_role("button", name="暂停叫号").click()
    assert page.locator("#not-calling").inner_text(timeout=5000) == "这个窗口已暂停叫号。"
    assert page.get_by_role("button", name="叫下一位").count() == 0
    station.button_pressed("1", "next")                                  # a paused counter calls nobody
    assert station.queue.at_counter(station.db(), "1") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 360           # fits the phone
    page.screenshot(path=str(SCREENSHOTS / "console-counter-phone.png"), full_page=True)
    page.context.close()


def test_the_demo_turns_the_console_on_and_prints_where_it_is(tmp_path):
    from conftest import Demo

    port = free_port()
    demo = Demo(tmp_path / "demo", "--console", f"127.0.0.1:{port}")
    try:
        banner = demo.output()
        assert f"staff console: https://127.0.0.1:{port}/" in banner and "配对设备" in banner
        status, page = fetch(f"https://127.0.0.1:{port}/staff/pair", tmp_path / "demo" / "staff-console-ca.crt")
        assert status == 200 and "配对这台设备" in page
    finally:
        demo.stop()


@pytest.mark.browser
def test_a_new_user_pairs_a_phone_with_the_demo_and_calls_the_next_number(browser, tmp_path):
    """What `make run` gives a new user: the demo's kiosk, its staff console on HTTPS, a phone beside it."""
    from conftest import Demo

    port = free_port()
    demo = Demo(tmp_path / "demo", "--console", f"127.0.0.1:{port}")
    try:
        kiosk = kiosk_staff_with_a_resident_waiting(browser, demo.url)
        kiosk.get_by_role("link", name="配对设备").click()
        kiosk.get_by_role("button", name="显示配对码").click()
        link = kiosk.locator("#pairing-code").get_attribute("data-link")      # what the QR code says
        assert link.startswith(f"https://127.0.0.1:{port}/staff/pair?code=")
        phone = browser.new_context(viewport={"width": 360, "height": 640}, ignore_https_errors=True,
                                    is_mobile=True, has_touch=True).new_page()
        phone.goto(link)
        phone.get_by_label("设备名称").fill("1号窗口的手机")
        phone.get_by_role("button", name="配对").click()
        phone.get_by_label("工号").fill("S001")
        for digit in "1234":
            phone.locator(f"[data-key='{digit}']").first.click()
        phone.get_by_role("button", name="登录").click()
        phone.get_by_role("link", name="1 号窗口").click()
        assert phone.locator("[data-service='consult'] .waiting-row").first.get_attribute("data-number") == "A001"
        phone.get_by_role("button", name="叫下一位").click()
        assert phone.locator("#current-number").inner_text(timeout=5000) == "A001"
        phone.context.close()
    finally:
        demo.stop()


def test_the_lan_addresses_are_this_machines_interfaces_not_its_host_name():
    """What `ip` lists (global scope, IPv4) is what the QR code and the certificate may name; Raspberry Pi OS
    maps the host name to 127.0.1.1, so the name alone never finds them."""
    ip = shutil.which("ip")
    if ip is None:
        pytest.skip("no `ip` command here to compare with")
    listed = subprocess.run([ip, "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True,
                            check=True).stdout
    assert sorted(lan_addresses()) == sorted(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", listed))
    assert set(lan_addresses()) <= set(local_names())


def test_the_demo_console_on_every_address_answers_on_the_lan_and_the_residents_screen_does_not(tmp_path):
    """`make run` as it ships: the console on 0.0.0.0 (here a free port, not 8443), reached at this machine's
    LAN address with the certificate verified; the residents' screen answers on loopback only."""
    from conftest import Demo

    lan = lan_addresses()
    if not lan:
        pytest.skip("this machine has no LAN address")
    port = free_port()
    demo = Demo(tmp_path / "demo", "--console", f"0.0.0.0:{port}")
    try:
        banner = demo.output()
        assert f"staff console: https://{lan[0]}:{port}/" in banner
        assert f"it listens on every address of this machine (0.0.0.0:{port})" in banner
        assert "--console 127.0.0.1:" in banner and "--console off" in banner
        status, page = fetch(f"https://{lan[0]}:{port}/staff/pair", tmp_path / "demo" / "staff-console-ca.crt")
        assert status == 200 and "配对这台设备" in page                     # a phone on the LAN pairs here
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((lan[0], demo.port), timeout=5)       # the residents' screen: not on the LAN
        with urllib.request.urlopen(demo.url + "/api/v1/health", timeout=10) as answer:
            assert answer.status == 200                                     # … only on 127.0.0.1
    finally:
        demo.stop()


#: every control a finger must hit on a console page: outside the screen, or under 44 × 44 CSS px, is a fault
OUT_OF_REACH = """() => [...document.querySelectorAll('button, a, input:not([type=hidden]), select, textarea')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44 || r.left < 0 || r.right > window.innerWidth)
  .map(([e, r]) => `${e.tagName} ${(e.innerText || e.value || e.name).trim()}`
                 + ` ${Math.round(r.left)}..${Math.round(r.right)} x ${Math.round(r.height)}`)"""


def out_of_reach(page) -> list[str]:
    """What on this page a phone user cannot reach or hit: its controls off the screen or too small, or the
    page itself wider than the screen."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    return page.evaluate(OUT_OF_REACH) + ([f"page {wide} px wide"] if wide > 360 else [])


@pytest.mark.browser
def test_every_console_screen_fits_a_phone_and_each_control_takes_a_finger(browser, console, station, client, card):
    for _ in range(2):
        station.take_ticket("consult")
    sign_in(client, card)
    code = pairing_code(client)
    phone = browser.new_context(viewport={"width": 360, "height": 640}, ignore_https_errors=True,
                                is_mobile=True, has_touch=True)
    page = phone.new_page()
    seen = {}
    page.goto(f"{console.url}staff/pair?code={code}")
    seen["pair"] = out_of_reach(page)
    page.get_by_label("设备名称").fill("前台手机")
    page.get_by_role("button", name="配对").click()
    page.wait_for_url("**/staff/signin")
    seen["signin"] = out_of_reach(page)
    page.get_by_label("工号").fill("S001")
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/menu")
    seen["menu"] = out_of_reach(page)
    page.goto(console.url + "staff/counter/1")
    seen["counter"] = out_of_reach(page)
    page.get_by_role("button", name="叫下一位").click()
    page.locator("#current-number").wait_for()
    seen["counter in service"] = out_of_reach(page)               # recall, start, done, no-show, transfer …
    for path in ("staff/devices", "staff/points", "staff/shop/", "staff/print/", "staff/lockers/", "staff/report"):
        assert page.goto(console.url + path).status == 200, path
        seen[path] = out_of_reach(page)
        if path == "staff/devices":
            assert page.get_by_role("button", name="取消配对").is_visible()    # this phone, listed: revocable here
    assert {where: faults for where, faults in seen.items() if faults} == {}
    page.context.close()


@pytest.mark.browser
def test_the_console_stops_at_once_with_a_phone_listening(browser, console, station, client, card, monkeypatch):
    """A phone's live stream holds one of the console's threads; stopping the kiosk (SIGTERM, Ctrl-C) ends it
    instead of waiting for its heartbeat, so the console's thread is done when stop returns (it was not: the
    demo's kiosk outlived its 15 s to stop, was killed, and left its sync process running)."""
    monkeypatch.setattr("kiosk.web.stream.HEARTBEAT_S", 3600.0)      # no heartbeat would end it
    page = phone_signed_in(browser, console, client, card)
    page.get_by_role("link", name="1 号窗口").click()
    page.wait_for_function("document.body.dataset.live === '1'")      # its stream is open
    stopping = threading.Thread(target=console.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=60)                                          # (without the fix: never)
    assert not stopping.is_alive() and not console.thread.is_alive()
    page.context.close()


@pytest.mark.browser
def test_on_a_desk_pc_the_counter_shows_the_services_side_by_side(browser, console, station, client, card):
    """The same console on a desk PC's browser (1366 x 768): the services' lists side by side (two in a row),
    nothing wider than the screen, every control in reach."""
    station.take_ticket("consult")
    sign_in(client, card)
    code = pairing_code(client)
    page = browser.new_context(viewport={"width": 1366, "height": 768}, ignore_https_errors=True).new_page()
    page.goto(f"{console.url}staff/pair?code={code}")
    page.get_by_label("设备名称").fill("2号窗口的电脑")
    page.get_by_role("button", name="配对").click()
    page.get_by_label("工号").fill("S001")
    for digit in "1234":
        page.locator(f"[data-key='{digit}']").first.click()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/menu")
    page.goto(console.url + "staff/counter/2")
    page.get_by_role("button", name="叫下一位").click()
    assert page.locator("#current-number").inner_text(timeout=5000) == "A001"
    tops = page.locator(".waiting-list[data-service]").evaluate_all(
        "lists => lists.map(l => Math.round(l.getBoundingClientRect().top))")
    assert len(tops) == 3 and tops[0] == tops[1] < tops[2]            # consult and print side by side, certify below
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366 and page.evaluate(OUT_OF_REACH) == []
    page.context.close()


def test_init_leaves_the_console_off_and_writes_its_certificate_for_this_machines_addresses(tmp_path):
    from cryptography import x509

    from kiosk import config as cfg

    path = tmp_path / "etc" / "station.toml"
    result = vstation("--config", str(path), "init", "--database", str(tmp_path / "station.db"))
    assert result.returncode == 0, result.stderr
    console = cfg.load(path).staff_console
    assert console.enabled is False                                    # off until station.toml turns it on
    cert = x509.load_pem_x509_certificate(Path(console.cert).read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    named = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert set(lan_addresses()) | {"127.0.0.1"} <= named                # a phone on the LAN can verify it
    assert oct(Path(console.key).stat().st_mode & 0o777) == "0o600"
