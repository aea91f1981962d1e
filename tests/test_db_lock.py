"""Another process holding the database's write lock: a clear 503 with Retry-After, health `degraded`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from kiosk.base.store import BUSY_TIMEOUT_S

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.read()                      # until the test closes our stdin
conn.execute("ROLLBACK")
"""


def call(opener, request) -> tuple[int, dict[str, str], bytes]:
    try:
        with opener.open(request, timeout=BUSY_TIMEOUT_S + 20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_a_write_lock_held_by_another_process_answers_503_and_health_says_degraded(running_demo):
    url = running_demo.url
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(url + "/queue/").read().decode()
    form = {"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1), "service": "consult",
            "request_key": re.search(r'name="request_key" value="([^"]+)"', page).group(1)}
    ticket = urllib.request.Request(url + "/api/v1/tickets", data=b'{"service": "consult"}',
                                    headers={"Content-Type": "application/json"})
    screen = urllib.request.Request(url + "/queue/take", data=urllib.parse.urlencode(form).encode())
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(running_demo.data_dir / "station.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        results: dict[str, tuple] = {}
        writers = [threading.Thread(target=lambda n=name, r=req: results.__setitem__(n, call(opener, r)))
                   for name, req in (("api", ticket), ("screen", screen))]
        for w in writers:
            w.start()
        status, _, body = call(opener, url + "/api/v1/health")
        health = json.loads(body)
        assert status == 200 and health["status"] == "degraded" and health["database"]["writable"] is False
        for w in writers:
            w.join()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    status, headers, body = results["api"]
    assert status == 503 and headers["Retry-After"] == "10"
    assert json.loads(body)["error"] == "busy"
    status, headers, body = results["screen"]
    assert status == 503 and headers["Retry-After"] == "10" and "系统正忙" in body.decode()
    # the lock is gone: the station writes again, nothing was half-done
    health = json.loads(call(opener, url + "/api/v1/health")[2])
    assert health["status"] == "ok" and health["database"]["writable"] is True
    assert call(opener, ticket)[0] == 201
    assert "Traceback" not in running_demo.output()
