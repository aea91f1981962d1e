"""Pairing staff devices: a code shown at the kiosk, the device named and signed in by staff id and PIN,
revoked and refused; expired, reused and guessed codes; wrong PINs from a device."""

from __future__ import annotations

from datetime import timedelta

from console_rig import HTTPS, Device, csrf, paired_device, pairing_code
from test_queue_web import sign_in

from kiosk.base.clock import utc_now
from kiosk.members import devices, sessions, staff


def test_a_device_is_paired_used_revoked_and_refused(station, client, card):
    device = paired_device(station, client, card)
    assert "工作台" in device.get("/staff/menu").get_data(as_text=True)
    listed = client.get("/staff/devices").get_data(as_text=True)
    assert "1号窗口的手机" in listed
    device_id = devices.paired(station.db())[0].id
    token = device.client.get_cookie("vstation_device", domain="station.lan").value
    stored = station.db().execute("SELECT token_hash FROM staff_devices").fetchone()[0]
    assert stored != token and stored == sessions.token_hash(token)            # the station keeps a hash only
    page = client.get("/staff/devices").get_data(as_text=True)
    client.post(f"/staff/devices/{device_id}/revoke", data={"csrf_token": csrf(page)})
    refused = device.get("/staff/menu")
    assert refused.status_code == 403 and "这台设备已被取消配对" in refused.get_data(as_text=True)
    assert "vstation_device=;" in refused.headers["Set-Cookie"]                 # its cookie is dropped
    assert device.sign_in().status_code == 403                                  # and nobody signs in on it
    ended = station.db().execute("SELECT end_reason FROM staff_sessions WHERE device_id = ?", (device_id,))
    assert [r[0] for r in ended] == ["device_revoked"]


def test_an_unpaired_device_sees_how_to_pair_and_nothing_else(station):
    device = Device(station)
    for path in ("/staff/", "/staff/menu", "/staff/signin", "/staff/counter/1", "/staff/shop/"):
        response = device.get(path)
        assert response.status_code == 403 and "这台设备还没有配对" in response.get_data(as_text=True)


def test_an_expired_a_reused_and_a_guessed_code_are_refused(station, client, card):
    sign_in(client, card)
    code = pairing_code(client)
    late = utc_now() + timedelta(seconds=devices.CODE_VALID_S + 1)
    station.clock = lambda: late
    expired = Device(station).pair(code)
    assert expired.status_code == 403 and "配对码已过期" in expired.get_data(as_text=True)
    station.clock = utc_now
    code = pairing_code(client)
    assert Device(station).pair(code).status_code == 302
    reused = Device(station).pair(code)
    assert reused.status_code == 403 and "这个配对码已经用过了" in reused.get_data(as_text=True)
    code = pairing_code(client)
    guesser = Device(station)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(devices.MAX_WRONG):
        assert "配对码不对" in guesser.pair(wrong).get_data(as_text=True)
    assert "配对码不对" in Device(station).pair(code).get_data(as_text=True)    # too many guesses: the code is void
    assert len(devices.paired(station.db())) == 1


def test_a_new_code_replaces_the_one_shown_before(station, client, card):
    sign_in(client, card)
    first = pairing_code(client)
    second = pairing_code(client)
    assert Device(station).pair(first).status_code == 403
    assert Device(station).pair(second).status_code == 302


def test_wrong_pins_from_a_device_cost_the_same_growing_waits(station, client, card):
    sign_in(client, card)
    device = Device(station)
    device.pair(pairing_code(client))
    for _ in range(2):
        page = device.get(device.sign_in(pin="0000").headers["Location"]).get_data(as_text=True)
        assert "工号或密码不对" in page
    page = device.get(device.sign_in(pin="0000").headers["Location"]).get_data(as_text=True)
    assert "请 5 秒后再试" in page
    page = device.get(device.sign_in(pin="1234").headers["Location"]).get_data(as_text=True)
    assert "秒后再试" in page and device.get("/staff/menu").status_code == 302
    unknown = device.get(device.sign_in(staff_id="M001", pin="1234").headers["Location"]).get_data(as_text=True)
    assert "工号或密码不对" in unknown                      # a member's id reads like a wrong PIN


def test_a_device_session_is_not_a_kiosk_session_and_ends_on_sign_out(station, client, card):
    device = paired_device(station, client, card)
    copied = device.client.get_cookie("vstation_console", domain="station.lan").value
    device.post("/staff/signout")
    assert device.get("/staff/menu").headers["Location"].endswith("/staff/")
    thief = Device(station)
    thief.client.set_cookie("vstation_console", copied, domain="station.lan")
    assert thief.get("/staff/menu").status_code == 403                          # not even a paired device
    client.get("/staff/menu")
    assert client.get("/staff/menu").status_code == 200                         # the kiosk's session is its own


def test_codes_are_shown_only_at_the_residents_screen_with_the_console_on(station, client, card):
    device = paired_device(station, client, card)
    assert device.post("/staff/devices/code").status_code == 404
    assert "显示配对码" not in device.get("/staff/devices").get_data(as_text=True)


def test_a_pin_change_ends_the_device_sessions_of_that_staff_member(station, client, card):
    device = paired_device(station, client, card)
    staff.set_pin(station.db(), "S001", "5678")                             # e.g. `vstation set-pin S001`
    assert device.get("/staff/menu").headers["Location"].endswith("/staff/")
    ended = station.db().execute("SELECT end_reason FROM staff_sessions WHERE device_id IS NOT NULL")
    assert [r[0] for r in ended] == ["pin_changed"]
    page = device.get(device.sign_in(pin="1234").headers["Location"]).get_data(as_text=True)
    assert "工号或密码不对" in page                                          # the old PIN opens nothing
    assert device.sign_in(pin="5678").headers["Location"].endswith("/staff/menu")


def test_a_console_form_without_its_csrf_token_is_refused_and_changes_nothing(station, client, card):
    sign_in(client, card)
    code = pairing_code(client)
    bare = Device(station)
    refused = bare.client.post("/staff/pair", base_url=HTTPS, data={"code": code, "name": "手机"},
                               headers={"Referer": HTTPS + "/staff/pair"})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    assert devices.paired(station.db()) == []
    device = Device(station)
    assert device.pair(code).status_code == 302                             # the code was not spent on it
    assert device.sign_in().headers["Location"].endswith("/staff/menu")
    station.take_ticket("consult")
    refused = device.client.post("/staff/counter/1/call_next", base_url=HTTPS,
                                 headers={"Referer": HTTPS + "/staff/counter/1"})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    assert station.queue.at_counter(station.db(), "1") is None
    assert device.get("/staff/menu").status_code == 200                     # still signed in
