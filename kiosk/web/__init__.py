"""The kiosk's web face: a Flask app over the station core, served on loopback only.

Views call the core and render; they hold no rules and no SQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

from .. import __version__
from ..base.clock import local_text
from ..base.texts import BUNDLED_FONTS
from ..station import Station
from . import (
    api,
    console_screens,
    counter_screens,
    display,
    duty_screens,
    errors,
    help_screens,
    i18n,
    json_body,
    locker_screens,
    print_screens,
    queue_screens,
    screens,
    shop_screens,
    staff,
    staff_live,
    stream,
    task_screens,
)

csrf = CSRFProtect()
#: The browser keeps the bundled fonts a week: each screen loads without fetching or checking them again.
FONT_MAX_AGE_S = 7 * 24 * 3600


def create_app(station: Station, *, simulated: bool = False, test_config: Mapping[str, Any] | None = None,
               listener: str = "kiosk", console_url: str = "") -> Flask:
    """Build the app of one listener of a station: "kiosk" (the residents' screen on loopback, and its staff
    screens; `simulated` adds the simulator panel) or "console" (the staff console for paired devices on the
    LAN, HTTPS: staff screens only, every resident screen is 404 there). `console_url` is where devices
    reach the console (the pairing QR code)."""
    console = listener == "console"
    app = Flask(__name__)
    app.json = json_body.BoundedJSON(app)
    app.config.update(
        SECRET_KEY=_secret_key(Path(station.config.database_path).parent / "secret_key"),
        TRUSTED_HOSTS=None if console else ["127.0.0.1", "localhost", "::1"],
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="vstation_console" if console else "session",
        SESSION_COOKIE_SECURE=console,
        WTF_CSRF_TIME_LIMIT=None,          # a kiosk page may stay open all day
        MAX_CONTENT_LENGTH=64 * 1024,
        VSTATION_LISTENER=listener,
        VSTATION_CONSOLE_URL=console_url,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["vstation"] = station
    app.extensions["vstation.simulated"] = simulated and not console
    app.jinja_env.globals.update(version=__version__, simulated=simulated and not console, console=console,
                                 printer_state=lambda: station.printer_watch.last, staff_alerts=station.staff_alerts)
    # per render, not once: the district's config document may change it while the kiosk runs
    app.context_processor(lambda: {"station_config": station.config})
    # every stored instant is shown in the station's time zone: {{ loan.due_at | local('date') }}
    app.jinja_env.filters["local"] = lambda moment, style="datetime": local_text(
        moment, station.config.station.timezone, style)

    csrf.init_app(app)
    i18n.init_app(app, station.config.station.language)
    errors.init_app(app)
    if console:
        _console_blueprints(app, station.config.staff_console.threads)
        return app
    for blueprint in (screens.bp, queue_screens.bp, staff.bp, counter_screens.bp, staff_live.bp, duty_screens.bp,
                      shop_screens.bp, display.bp, locker_screens.bp, locker_screens.staff_bp, help_screens.bp,
                      task_screens.bp, print_screens.bp, print_screens.staff_bp):
        app.register_blueprint(blueprint)
    stream.init_app(app)
    app.register_blueprint(api.bp)
    fonts = Blueprint("fonts", __name__, static_folder=BUNDLED_FONTS, static_url_path="/fonts")
    fonts.get_send_file_max_age = lambda filename: FONT_MAX_AGE_S   # they change only with the package
    app.register_blueprint(fonts)
    csrf.exempt(api.bp)  # JSON only: a cross-site form cannot send application/json
    app.register_blueprint(console_screens.bp)
    if simulated:
        from . import simulator
        app.register_blueprint(simulator.bp)
    return app


def _console_blueprints(app: Flask, threads: int) -> None:
    """The staff console's listener: staff screens, pairing and their live stream; no resident screen. Its
    devices' streams are counted by a gate of its own (each holds one of its `threads`)."""
    console_screens.init_console(app)
    stream.init_gate(app, staff_live.stream_limit(threads))
    for blueprint in (staff.bp, counter_screens.bp, staff_live.bp, shop_screens.bp, locker_screens.staff_bp,
                      console_screens.bp, print_screens.bp, print_screens.staff_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(Blueprint("fonts", __name__, static_folder=BUNDLED_FONTS, static_url_path="/fonts"))


def _secret_key(path: Path) -> bytes:
    """The session-signing key, made once per station and kept beside the database (0600)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # the other process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
