"""The staff console's listener: HTTPS on the station's LAN, served by cheroot in the kiosk process.

waitress speaks plain HTTP only. cheroot terminates TLS itself (the standard library's ssl), so the
station needs no proxy, no second unit and no root to start it (the demo runs it as the user). It has
its own thread pool: each open console holds one thread for its live stream, and the residents'
screen (waitress, loopback) never waits for a staff device. A plain-HTTP request to this port is
answered with a 400 that says the port speaks HTTPS only and links to the HTTPS address; a
certificate or key that cannot be read stops the kiosk at start with one line.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
from typing import Any

from cheroot import errors, wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from ..base.errors import VStationError
from ..config.console import StaffConsoleSettings
from ..station import Station
from ..upkeep.console_cert import lan_addresses

log = logging.getLogger("kiosk.console")
TLS_HANDSHAKE = b"\x16"          # the first byte of every TLS connection (a handshake record)
PLAIN_HTTP_TIMEOUT_S = 10


class ConsoleUnavailable(VStationError, OSError):
    """The staff console cannot start: its certificate or key cannot be used, or its port is taken."""


class _HttpsOnly(BuiltinSSLAdapter):
    """TLS, and a plain-HTTP request answered in words (cheroot's own answer is lost to a TCP reset)."""

    def wrap(self, sock: socket.socket) -> Any:
        sock.settimeout(PLAIN_HTTP_TIMEOUT_S)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError as exc:
            raise errors.FatalSSLAlert(str(exc)) from None
        if first and first != TLS_HANDSHAKE:
            _answer_plain_http(sock)
            raise errors.FatalSSLAlert("a plain HTTP request on the staff console's HTTPS port")
        return super().wrap(sock)


def _answer_plain_http(sock: socket.socket) -> None:
    """Read the request's head, say in plain words (and a link) that this port speaks HTTPS only."""
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        line, *fields = head.decode("latin-1").split("\r\n")
        path = line.split(" ")[1] if line.count(" ") >= 2 and line.split(" ")[1].startswith("/") else "/"
        host = next((f.split(":", 1)[1].strip() for f in fields if f.lower().startswith("host:")), "")
        link = f"https://{host}{path}" if re.fullmatch(r"[A-Za-z0-9.:\[\]-]{1,255}", host) else "https://…"
        text = (f"This is the station's staff console: it speaks HTTPS only. Open {link}\n"
                f"这是站点的员工控制台，只接受 HTTPS：请打开 {link}\n").encode()
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(text), text))
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass   # the client went away: nothing more to tell it


class _Server(wsgi.Server):
    """cheroot's server with its messages (a plain-HTTP client, a dropped handshake) in our log."""

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        log.log(level if level > logging.INFO else logging.DEBUG, "%s", msg, exc_info=traceback)


def tls_context(settings: StaffConsoleSettings) -> ssl.SSLContext:
    """The server's TLS context (TLS 1.2 at least); refuses an unreadable or unusable certificate in one line."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.cert, settings.key)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (exc.reason or str(exc))
        raise ConsoleUnavailable(f"staff_console: cannot use the certificate {settings.cert} with the key "
                                 f"{settings.key}: {reason} (make them with `vstation init --console-cert`)") from None
    return context


def console_url(settings: StaffConsoleSettings, port: int) -> str:
    """Where devices on the LAN reach the console: the configured `url`, else this machine's address."""
    if settings.url:
        return settings.url
    host = settings.host
    if host in ("0.0.0.0", "::"):
        host = _lan_address()
    return f"https://{host if ':' not in host else f'[{host}]'}:{port}/"


def _lan_address() -> str:
    """An address of this machine other than loopback, read from its interfaces; else its name on mDNS."""
    addresses = lan_addresses()
    return addresses[0] if addresses else f"{socket.gethostname()}.local"


class ConsoleListener:
    """The console app on cheroot with TLS, in a thread of the kiosk process."""

    def __init__(self, station: Station, settings: StaffConsoleSettings, **app_options: Any) -> None:
        from . import create_app

        context = tls_context(settings)
        self.settings = settings
        self.app = create_app(station, listener="console", **app_options)
        self.server = _Server((settings.host, settings.port), self.app, numthreads=settings.threads,
                              server_name="vstation-console", timeout=20)
        adapter = _HttpsOnly(settings.cert, settings.key)
        adapter.context = context              # ours: TLS 1.2 at least
        self.server.ssl_adapter = adapter
        self.thread = threading.Thread(target=self.server.serve, name="staff-console", daemon=True)
        self.url = ""

    def start(self) -> "ConsoleListener":
        """Bind and serve; ConsoleUnavailable when the port is taken."""
        try:
            self.server.prepare()
        except OSError as exc:
            raise ConsoleUnavailable(f"staff_console: cannot listen on {self.settings.host}:{self.settings.port}: "
                                     f"{exc.strerror or exc}") from None
        self.url = console_url(self.settings, self.server.bind_addr[1])
        self.thread.start()
        log.info("staff console at %s", self.url)
        return self

    def stop(self) -> None:
        """End the open device streams, then the server (it waits for every thread it runs)."""
        self.app.extensions["vstation.streams"].close()
        self.server.stop()
        self.thread.join(timeout=10)
