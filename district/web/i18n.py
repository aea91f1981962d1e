"""The console's languages: 中文 (the source strings) and English, with its own catalog (district/translations).

Every time is shown in the district's zone (`district.timezone`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel

from ..settings import Settings

LANGUAGES = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-Hans", "en": "en"}

bp = Blueprint("lang", __name__)


def current_language() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else current_app.config["DISTRICT_LANGUAGE"]


def init_app(app: Flask, settings: Settings) -> None:
    app.config["DISTRICT_LANGUAGE"] = settings.district.language
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent.parent / "translations")
    Babel(app, locale_selector=current_language)
    zone = ZoneInfo(settings.district.timezone)
    app.jinja_env.filters["local"] = lambda moment, fmt="%Y-%m-%d %H:%M": local(moment, zone, fmt)
    app.jinja_env.filters["loc"] = localized
    app.jinja_env.globals.update(languages=LANGUAGES, html_lang=lambda: HTML_LANG[current_language()])
    app.register_blueprint(bp)


def local(moment: datetime | None, zone: ZoneInfo, fmt: str) -> str:
    """An instant in the district's time zone ("–" for none)."""
    return moment.astimezone(zone).strftime(fmt) if moment else "–"


def localized(value: object) -> str:
    """A station text {zh, bo, en} in the console's language, else Chinese."""
    if isinstance(value, dict):
        return str(value.get(current_language()) or value.get("zh") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


@bp.get("/lang/<code>")
def switch(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    target = request.args.get("next", "/")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
