"""The real demo process: waitress on loopback, notices pushed over SSE, sync beside it."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import threading
import urllib.parse
import urllib.request


class Browser:
    """A cookie-keeping HTTP client that posts forms with the page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = self.opener.open(base + "/sim/").read().decode()
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    def post(self, path: str, **form: str) -> int:
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"X-CSRFToken": self.token})
        with self.opener.open(request) as response:
            return response.status


def read_events(port: int, wanted: int, out: list, ready: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/events", headers={"Accept-Language": "en"})
    response = conn.getresponse()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    ready.set()
    event, data = None, []
    while len(out) < wanted:
        line = response.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and event:
            out.append((event, "\n".join(data)))
            event, data = None, []
    conn.close()


def test_a_card_tap_is_pushed_to_the_open_screen(running_demo):
    received: list = []
    ready = threading.Event()
    reader = threading.Thread(target=read_events, args=(running_demo.port, 2, received, ready), daemon=True)
    reader.start()
    assert ready.wait(10)
    browser = Browser(running_demo.url)
    assert browser.post("/sim/tap", uid="0A1B2C3D4E") == 200
    assert browser.post("/sim/tap", uid="9999999999") == 200
    reader.join(10)
    assert [kind for kind, _ in received] == ["card", "card"]
    assert "卓玛，您好！" in received[0][1]
    assert "这张卡还没有登记" in received[1][1]


def test_health_over_http_and_the_unknown_card_event_is_kept(running_demo):
    def health() -> dict:
        with urllib.request.urlopen(running_demo.url + "/api/v1/health") as response:
            return json.load(response)

    before = health()["database"]["outbox_depth"]
    Browser(running_demo.url).post("/sim/tap", uid="ABCD001234")
    after = health()
    assert after["status"] == "ok"
    assert after["database"]["outbox_depth"] == before + 1   # no broker: the event waits in the outbox
    output = running_demo.stop()
    assert "ABCD001234" not in output and "…1234" in output
