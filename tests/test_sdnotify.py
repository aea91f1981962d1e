"""systemd notifications as systemd would receive them: a real datagram socket around real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, free_port

from kiosk.base import sdnotify


class NotifySocket:
    """What systemd listens on for a Type=notify service: a unix datagram socket."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.received: list[str] = []

    def wait_for(self, message: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.received.append(data)
            if message in data.splitlines():
                return True
        return False

    def count(self, message: str, seconds: float) -> int:
        """Collect for `seconds`; how many datagrams carried `message`."""
        before = len(self.received)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                self.received.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
        return sum(message in d.splitlines() for d in self.received[before:])

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path):
    s = NotifySocket(str(tmp_path / "notify.sock"))
    yield s
    s.close()


def _station(tmp_path: Path, port: int) -> Path:
    from conftest import console_on_loopback

    from kiosk import demo

    path = console_on_loopback(demo.write_config(tmp_path / "station"))
    path.write_text(path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}"),
                    encoding="utf-8")
    return path


def _start(config: Path, role: str, notify: NotifySocket, tmp_path: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "400000"}
    env.pop("WATCHDOG_PID", None)
    log = open(tmp_path / f"{role}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), role, *extra],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("role", ["kiosk", "sync"])
def test_service_says_ready_pings_the_watchdog_and_says_stopping(role: str, tmp_path: Path, notify_socket):
    port = free_port()
    proc = _start(_station(tmp_path, port), role, notify_socket, tmp_path)
    try:
        assert notify_socket.wait_for("READY=1"), (tmp_path / f"{role}.log").read_text()
        if role == "kiosk":  # ready means serving: the health answers at once
            import urllib.request
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as r:
                assert r.status == 200
        assert notify_socket.count("WATCHDOG=1", 2.0) >= 3     # every 0.2 s while the loop turns
        proc.send_signal(signal.SIGTERM)
        assert notify_socket.wait_for("STOPPING=1", timeout=15)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sync_linked_to_a_broker_pings_while_it_drains(tmp_path: Path, notify_socket, broker):
    proc = _start(_station(tmp_path, free_port()), "sync", notify_socket, tmp_path,
                  "--mqtt", f"{broker.host}:{broker.port}")
    try:
        assert notify_socket.wait_for("READY=1"), (tmp_path / "sync.log").read_text()
        assert notify_socket.count("WATCHDOG=1", 2.0) >= 3
        proc.send_signal(signal.SIGTERM)
        assert notify_socket.wait_for("STOPPING=1", timeout=15)
        assert proc.wait(timeout=20) == 0
        assert "said goodbye" in (tmp_path / "sync.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_abstract_namespace_socket(tmp_path: Path, monkeypatch):
    name = f"@vstation-test-{os.getpid()}-{time.monotonic_ns()}"
    listener = NotifySocket(name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", name)
        assert sdnotify.notify("READY=1")
        assert listener.wait_for("READY=1", timeout=2)
    finally:
        listener.close()


def test_without_systemd_nothing_is_sent_and_nothing_fails(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock")
    assert sdnotify.notify("READY=1") is False     # a vanished socket is a warning, not a crash


def test_watchdog_interval_is_half_of_watchdog_usec_and_only_for_our_pid(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sdnotify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.delenv("WATCHDOG_USEC")
    assert sdnotify.watchdog_interval() is None


def test_pings_stop_when_the_main_loop_stops_beating(monkeypatch, notify_socket):
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.address)
    heart = sdnotify.Heartbeat(max_age_s=0.3)
    with sdnotify.Watchdog(heart.fresh, interval_s=0.05):
        end = time.monotonic() + 0.6
        while time.monotonic() < end:          # a loop that turns
            heart.beat()
            time.sleep(0.02)
        assert notify_socket.count("WATCHDOG=1", 0.1) >= 3
        time.sleep(0.4)                         # the loop hangs: the heartbeat goes stale
        notify_socket.count("WATCHDOG=1", 0.05)  # pings sent before it went stale
        assert notify_socket.count("WATCHDOG=1", 0.6) == 0
