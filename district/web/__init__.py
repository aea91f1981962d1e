"""The district console: a Flask app over the hub's database, for district staff (admin, dispatcher, viewer).

Views read through `district.board` and friends and write through the
hub's modules (documents, commands, accounts); they hold no SQL of their
own beyond those calls. Every form carries a CSRF token (Flask-WTF); the
login is a server-side session (`district.accounts`).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine

from .. import __version__, keyfile
from ..settings import Settings
from . import (auth, board_views, command_views, dispatch_views, document_views, errors, i18n, points_views,
               register_views, report_views, shop_views, station_views, user_views)
from .context import Console

csrf = CSRFProtect()


def create_app(settings: Settings, engine: Engine, *, wake: Callable[[str | None], None] = lambda s=None: None,
               test_config: Mapping[str, Any] | None = None) -> Flask:
    """The console of one hub: its settings, its database, and how to wake the outbound loop."""
    app = Flask(__name__)
    secure = bool(settings.console.tls_cert) or settings.console.behind_proxy
    app.config.update(
        SECRET_KEY=keyfile.load_or_create(keyfile.console_key_path(settings.path)),
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="district_console", MAX_CONTENT_LENGTH=4 * 1024 * 1024, JSON_AS_ASCII=False,
        WTF_CSRF_TIME_LIMIT=None,           # a console tab may stay open all day; the session limits it
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["district"] = Console(settings, engine, wake)
    app.jinja_env.globals.update(version=__version__, district=settings.district)
    csrf.init_app(app)
    i18n.init_app(app, settings)
    auth.init_app(app)
    errors.init_app(app)
    app.after_request(lambda response: _hardened(response, secure))
    for blueprint in (auth.bp, board_views.bp, station_views.bp, document_views.bp, command_views.bp,
                      user_views.bp, points_views.bp, dispatch_views.bp, register_views.bp,
                      report_views.bp, shop_views.bp):
        app.register_blueprint(blueprint)
    return app



def _hardened(response: Any, secure: bool) -> Any:
    """No framing, no sniffing, no referrer to elsewhere; HSTS once the console is on HTTPS."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
