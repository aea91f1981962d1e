"""Languages of the screens: Simplified Chinese (default), Tibetan and English.

Messages are written in Chinese in the source and translated by the `bo` and
`en` catalogs under `kiosk/translations`. A resident picks a language with
one tap; the idle reset brings the station's default back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel, gettext
from werkzeug.exceptions import HTTPException

from ..base import texts

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


def listing(items: Iterable[object]) -> str:
    """Items as the screen's language lists them (甲、乙 · A, B · ཀ། ཁ།)."""
    return texts.listing([str(item) for item in items], current_language())


def person(who: object) -> str:
    """名字（职务） in the screen's language: a (name, role) pair, or a configured person (name, role {zh, bo, en})."""
    name, role = who if isinstance(who, tuple) else (getattr(who, "name"), localized(getattr(who, "role")))
    return gettext("%(name)s（%(role)s）", name=name, role=role)


def init_app(app: Flask, default_language: str) -> None:
    app.config["VSTATION_LANGUAGE"] = default_language
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent.parent / "translations")
    Babel(app, locale_selector=current_language)
    app.jinja_env.filters["loc"] = localized
    app.jinja_env.filters["listing"] = listing
    app.jinja_env.filters["person"] = person
    app.jinja_env.globals.update(languages=LANGUAGES, html_lang=lambda: HTML_LANG[current_language()])
    app.register_blueprint(bp)


@bp.route("/text-size", methods=["GET", "POST"])
def text_size():
    """Larger text on (or off) for this visit; the idle reset brings the standard size back."""
    session["big_text"] = not session.get("big_text")
    return _back()


@bp.route("/lang/<code>", methods=["GET", "POST"])
def switch(code: str):
    """Switch language and come back to the same screen."""
    if code in LANGUAGES:
        session["lang"] = code
    return _back()


def _back():
    """Back to the screen the switch was made on. A form step sent its answers here by POST: a 307 sends
    the same form on to that step, which shows itself again with every answer kept."""
    return redirect(_back_into_kiosk(request.args.get("next", "/")), code=307 if request.method == "POST" else 302)


def _back_into_kiosk(target: str) -> str:
    """Only ever back into the kiosk itself, never to another site, and only to a screen that answers
    this method (a page a form showed cannot be fetched again by a link: home instead of an error)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return "/"
    try:
        current_app.url_map.bind("localhost").match(parts.path, method=request.method)
    except HTTPException:
        return "/"
    return target
