"""Languages of the screens: Simplified Chinese (default), Tibetan and English.

Messages are written in Chinese in the source and translated by the `bo` and
`en` catalogs under `kiosk/translations`. A resident picks a language with
one tap; the idle reset brings the station's default back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel

LANGUAGES = {"zh": "中文", "bo": "བོད་ཡིག", "en": "English"}
HTML_LANG = {"zh": "zh-Hans", "bo": "bo", "en": "en"}

bp = Blueprint("lang", __name__)


def current_language() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else current_app.config["VSTATION_LANGUAGE"]


def localized(value: Mapping[str, str] | str | None) -> str:
    """Pick the current language from a config text {zh, bo, en}, falling back to Chinese."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return value.get(current_language()) or value.get("zh") or next(iter(value.values()))


def init_app(app: Flask, default_language: str) -> None:
    app.config["VSTATION_LANGUAGE"] = default_language
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent.parent / "translations")
    Babel(app, locale_selector=current_language)
    app.jinja_env.filters["loc"] = localized
    app.jinja_env.globals.update(languages=LANGUAGES, html_lang=lambda: HTML_LANG[current_language()])
    app.register_blueprint(bp)


@bp.get("/text-size")
def text_size():
    """Larger text on (or off) for this visit; the idle reset brings the standard size back."""
    session["big_text"] = not session.get("big_text")
    return redirect(_back_into_kiosk(request.args.get("next", "/")))


@bp.get("/lang/<code>")
def switch(code: str):
    """Switch language and come back to the same screen."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_back_into_kiosk(request.args.get("next", "/")))


def _back_into_kiosk(target: str) -> str:
    """Only ever back into the kiosk itself, never to another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return "/"
    return target
