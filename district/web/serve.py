"""Serving the console: cheroot, with TLS of its own when `console.tls_cert`/`tls_key` are set.

waitress speaks plain HTTP only; cheroot (CherryPy's WSGI server) can
terminate TLS itself, so a hub needs no proxy. Without a certificate the
console listens on loopback only (settings refuse anything else), for a
reverse proxy on the same host or the one-laptop demo.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from sqlalchemy.engine import Engine

from ..errors import DistrictError
from ..settings import Settings
from . import create_app

log = logging.getLogger("district.console")
THREADS = 8


class ConsoleServer:
    def __init__(self, settings: Settings, engine: Engine, *, wake: Callable[[str | None], None]) -> None:
        c = settings.console
        self.app = create_app(settings, engine, wake=wake)
        self.server = wsgi.Server((c.host, c.port), self.app, numthreads=THREADS, server_name="vstation-district")
        if c.tls_cert and c.tls_key:
            self.server.ssl_adapter = BuiltinSSLAdapter(str(c.tls_cert), str(c.tls_key))
        scheme = "https" if c.tls_cert else "http"
        self.url = f"{scheme}://{c.host if ':' not in c.host else f'[{c.host}]'}:{c.port}/"
        self.thread = threading.Thread(target=self._serve, name="district-console", daemon=True)

    def start(self) -> "ConsoleServer":
        try:
            self.server.prepare()
        except OSError as exc:
            raise DistrictError(f"the console cannot listen on {self.url} ({exc}); is another hub running?") from None
        self.thread.start()
        log.info("console at %s", self.url)
        return self

    def _serve(self) -> None:
        self.server.serve()

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)
