"""Open event streams cannot starve the kiosk: a real demo (waitress) and real HTTP connections."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request

from kiosk.web.stream import RETRY_AFTER_S, STREAM_LIMIT

ASKED = 200


def screens(app) -> list[str]:
    """Every page the kiosk serves with GET and no URL parameter, but the streams themselves."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and rule.rule != "/events"})


def ask_for_stream(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    return s


def head(s: socket.socket) -> tuple[int, dict[str, str]]:
    """The status and headers of the answer on `s`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, "the kiosk closed the connection without answering"
        data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}


def answers(url: str) -> int:
    """The status of a GET with the 1 s the issue allows (an error status counts as an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_200_open_streams_leave_health_and_every_screen_answering(running_demo, app):
    pages = screens(app)
    assert "/api/v1/health" in pages and "/" in pages and "/display" in pages
    for page in pages:                       # warm: templates compiled before the streams pile up
        answers(running_demo.url + page)
    held = [ask_for_stream(running_demo.port) for _ in range(ASKED)]
    try:
        answered = [head(s) for s in held]
        served = [s for s, (status, _) in zip(held, answered) if status == 200]
        refused = [h for status, h in answered if status != 200]
        assert len(served) == STREAM_LIMIT
        assert {status for status, _ in answered} == {200, 503}
        assert all(h["retry-after"] == str(RETRY_AFTER_S) for h in refused)
        # every connection is still open, the served streams streaming: the kiosk answers all the same
        for page in pages:
            assert answers(running_demo.url + page) < 500, page
        assert answers(running_demo.url + "/api/v1/health") == 200
    finally:
        for s in held:
            s.close()
    # the screens went away: their places (and threads) are free again for the next ones, round after round
    for _ in range(3):
        assert served_again(running_demo.port)


def served_again(port: int, tries: int = 20) -> bool:
    """Do `STREAM_LIMIT` new streams all get served (once the closed ones have been noticed)?"""
    pause = threading.Event()
    for _ in range(tries):
        streams = [ask_for_stream(port) for _ in range(STREAM_LIMIT)]
        try:
            if all(head(s)[0] == 200 for s in streams):
                return True
        finally:
            for s in streams:
                s.close()
        pause.wait(1.0)           # a stream notices its screen has gone within half a second
    return False
