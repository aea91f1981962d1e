"""The kiosk screens and API through the Flask test client."""

from __future__ import annotations

import re

import pytest

from kiosk.base import outbox


def csrf_token(client) -> str:
    """The page's CSRF token, read from a screen that leaves any staff session as it is (home would end it)."""
    html = client.get("/guide").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.mark.parametrize("lang, tile, lang_attr", [
    ("zh", "取号排队", "zh-Hans"),
    ("bo", "ཨང་གྲངས་ལེན་པ།", "bo"),
    ("en", "Take a number", "en"),
])
def test_home_screen_renders_in_each_language(client, lang, tile, lang_attr):
    client.get(f"/lang/{lang}")
    html = client.get("/").get_data(as_text=True)
    assert f'<html lang="{lang_attr}">' in html
    assert tile in html
    for title in {"zh": ["党员报到", "雨伞·充电", "我要求助", "服务指南", "工作人员"],
                  "en": ["Member check-in", "Umbrellas · Charging", "Ask for help", "Service guide", "Staff"],
                  "bo": ["ཏང་ཡོན་ཐོ་འགོད།", "ཞབས་ཞུའི་ལམ་སྟོན།"]}[lang]:
        assert title in html


def test_default_language_is_the_stations(client):
    assert '<html lang="zh-Hans">' in client.get("/").get_data(as_text=True)


def test_idle_reset_brings_back_the_default_language(client):
    client.get("/lang/en")
    assert "Service guide" in client.get("/guide").get_data(as_text=True)
    response = client.get("/?idle=1")
    assert response.status_code == 302
    assert "取号排队" in client.get("/").get_data(as_text=True)


def test_language_switch_only_returns_into_the_kiosk(client):
    assert client.get("/lang/en?next=/guide").headers["Location"] == "/guide"
    assert client.get("/lang/en?next=https://example.com/").headers["Location"] == "/"
    assert client.get("/lang/en?next=//example.com/x").headers["Location"] == "/"


def test_service_guide_shows_hours_services_staff_and_notices(client):
    client.get("/lang/en")
    html = client.get("/guide").get_data(as_text=True)
    assert "Daily 8:30–12:00, 14:30–18:00" in html
    assert "Consultation" in html and "Typing and copying" in html
    assert "李娜" in html and "General social worker" in html
    assert "medical insurance policy" in html


def test_every_home_tile_is_on_screen_now(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/lockers/"' in home and "/s/" not in home
    assert client.get("/s/lockers").status_code == 404        # the lockers are on screen now
    assert client.get("/s/queue").status_code == 404
    assert client.get("/s/nonsense").status_code == 404


def test_health_reports_station_version_and_devices(client, station):
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["station"] == "demo-barkor-01"
    assert body["hardware"] == {"printer": "ok", "card_reader": "ok",
                                "lockers": {"U1": "closed", "U2": "closed", "C1": "closed", "C2": "closed"}}
    station.printer.pull_paper()
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "degraded" and body["hardware"]["printer"] == "paper_out"


def test_json_answers_carry_chinese_as_utf8_not_escapes(app):
    """Flask 3 ignores JSON_AS_ASCII: the JSON provider itself keeps 号 as 号."""
    with app.app_context():
        body = app.json.response({"error": "closed", "message": "元旦休息"}).get_data()
    assert "元旦休息".encode() in body and b"\\u" not in body


def test_openapi_document_lists_the_api(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/health" in doc["paths"]


@pytest.mark.parametrize("method, path, kwargs", [
    ("get", "/api/v1/nope", {}),
    ("post", "/api/v1/health", {}),
    ("post", "/api/v1/health", {"data": "x" * 100_000}),
])
def test_bad_api_requests_get_json_4xx_never_500(client, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert set(body) == {"error", "message"}


def test_requests_for_other_hosts_are_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "127.0.0.1:8080"}).status_code == 200


def test_forms_without_a_csrf_token_are_refused(client, station):
    taps = []
    station.reader.when_card = taps.append
    response = client.post("/sim/tap", data={"uid": "0A1B2C3D4E"})
    assert response.status_code == 400
    assert taps == []
    response = client.post("/sim/tap", data={"uid": "0A1B2C3D4E"}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200
    assert taps == ["0A1B2C3D4E"]


def test_simulator_prints_a_test_page_with_chinese_and_qr(client, station):
    from drivers import paper

    response = client.post("/sim/printer/test", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200
    printed = station.printer.jobs[-1]
    assert "绕赛社区 V站" in paper.text_of(printed)
    assert "中文标点：，。！？（）——测试" in paper.text_of(printed)
    assert paper.qr_payloads(printed) == ["vstation:demo-barkor-01:test"]
    png = client.get("/sim/paper.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_printing_without_paper_is_told_and_reported(client, station):
    station.printer.pull_paper()
    client.post("/sim/printer/test", headers={"X-CSRFToken": csrf_token(client)})
    assert station.printer.jobs == []
    events = outbox.take(station.db())
    assert [(e.type, e.data["state"]) for e in events] == [("printer.fault", "paper_out")]


def test_simulator_doors_open_and_close(client, station):
    token = csrf_token(client)
    client.post("/sim/door/U1/open", headers={"X-CSRFToken": token})
    assert client.get("/api/v1/health").get_json()["hardware"]["lockers"]["U1"] == "open"
    client.post("/sim/door/U1/close", headers={"X-CSRFToken": token})
    assert client.get("/api/v1/health").get_json()["hardware"]["lockers"]["U1"] == "closed"
    assert client.post("/sim/door/Z9/open", headers={"X-CSRFToken": token}).status_code == 404


def test_larger_text_is_one_tap_and_the_idle_reset_brings_the_standard_size_back(client):
    page = client.get("/guide").get_data(as_text=True)
    assert 'class="big-text"' not in page and "大字" in page
    response = client.get("/text-size?next=/guide")
    assert response.headers["Location"] == "/guide"
    page = client.get("/guide").get_data(as_text=True)
    assert '<html lang="zh-Hans" class="big-text">' in page and "标准字" in page
    client.get("/?idle=1")
    assert 'class="big-text"' not in client.get("/").get_data(as_text=True)
    assert client.get("/text-size?next=https://example.com/").headers["Location"] == "/"


def test_the_idle_screen_shows_the_station_its_hours_staff_on_duty_and_notices(client):
    page = client.get("/welcome").get_data(as_text=True)
    assert "绕赛社区 V站" in page
    assert "每天 8:30–12:00，14:30–18:00" in page
    assert "李娜（全科社工）" in page and "次仁" in page
    assert "医保政策宣讲" in page and "免费饮水" in page
    client.get("/lang/en?next=/")
    page = client.get("/welcome").get_data(as_text=True)
    assert "Daily 8:30–12:00" in page and "talk on medical insurance policy" in page


def test_the_idle_screen_rotates_the_districts_current_notices_first(client, station):
    from datetime import timedelta

    from kiosk.district import documents
    from kiosk.base.clock import rfc3339, utc_now

    now = utc_now()
    body = {"version": 1, "schema": 1, "notices": [
        {"id": "n1", "title": {"zh": "医保政策宣讲", "en": "Medical insurance talk"},
         "body": {"zh": "周六上午十点在活动室", "en": "Saturday 10:00 in the activity room"},
         "valid_from": rfc3339(now - timedelta(days=1)), "valid_until": rfc3339(now + timedelta(days=2))},
        {"id": "n2", "title": {"zh": "已过期的通知"}, "body": {"zh": "不应出现"},
         "valid_from": rfc3339(now - timedelta(days=5)), "valid_until": rfc3339(now - timedelta(days=4))}]}
    outcome = documents.apply(station.db(), "notices", body, sha256="test", new_member_points=10,
                              timezone="Asia/Shanghai")
    assert outcome.status == "applied"
    page = client.get("/welcome").get_data(as_text=True)
    assert page.index("周六上午十点在活动室") < page.index("免费饮水")
    assert "医保政策宣讲" in page and "不应出现" not in page
    client.get("/lang/en?next=/")
    assert "Saturday 10:00 in the activity room" in client.get("/welcome").get_data(as_text=True)


def test_a_district_config_shows_on_every_screen_without_a_restart(client, station):
    from kiosk.district import documents

    assert "每天 8:30–12:00" in client.get("/").get_data(as_text=True)
    body = {"version": 5, "schema": 1, "settings": {"guide": {"hours": {"zh": "每天 9:00–17:00", "en": "Daily 9–17"}}}}
    assert documents.apply(station.db(), "config", body, sha256="t", new_member_points=10,
                           timezone="Asia/Shanghai").status == "applied"
    home = client.get("/").get_data(as_text=True)                   # the base template's opening hours
    assert "每天 9:00–17:00" in home and "每天 8:30–12:00" not in home
