"""The now-serving display: a second screen (a TV on the wall) that shows and speaks the calls.

`/display` is the full page; it listens to the station's notices (`/events`)
and reloads `/display/board` on each `call` and `queue` notice. A call is
spoken in Mandarin by `/display/voice/<ticket_id>.wav` when the station has a
voice (espeak-ng); without one the screen only chimes.

The wall is read by everyone in the room, so its words (station name, headings,
counter states, the call) are written in every language of the station, each
in a `data-lang` span; display.js shows one language at a time, in turn,
starting with the screen's own (the station's, unless its browser chose one).
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup, escape

from ..base.clock import local_time
from ..base.texts import translator
from ..config.station import LANGUAGES
from ..tickets.stats import board
from ..tickets.ticket import QueueError, Ticket
from .context import station
from .i18n import current_language

bp = Blueprint("display", __name__, url_prefix="/display")

VOICE_CACHE = "private, max-age=3600"


def spoken_call(number: str, counter: str) -> str:
    """The Mandarin call: "请 A 0 0 1 号，到 1 号窗口"; the number is spaced so each sign is read alone."""
    return f"请 {' '.join(number)} 号，到 {counter} 号窗口"


def languages() -> list[str]:
    """The languages the wall takes turns in: its screen's language first (the station's own unless the wall's
    browser chose another), then the others."""
    first = current_language()
    return [first] + [code for code in LANGUAGES if code != first]


def _spans(texts: Mapping[str, str]) -> Markup:
    return Markup("").join(Markup('<span data-lang="{0}" lang="{0}">{1}</span>').format(code, escape(text))
                           for code, text in texts.items())


def each_lang(message: str, **values: Any) -> Markup:
    """A message in every language of the wall, one span each (extracted for translation like `_`)."""
    return _spans({code: translator(code)(message, **values) for code in languages()})


def each_name(names: Mapping[str, str]) -> Markup:
    """A configured name {zh, bo, en} in every language of the wall (Chinese where one is missing)."""
    return _spans({code: names.get(code) or names["zh"] for code in languages()})


def board_context() -> dict[str, Any]:
    """What the board shows: per counter the ticket at it, per service waiting and last called."""
    st = station()
    day = st.queue.today()
    rows = board(st.db(), st.config, day)
    at_counter: dict[str, dict[str, Any]] = {}
    for row in rows:
        for entry in row.now_serving:
            at_counter.setdefault(entry["counter"], entry)
    services = {s.id: s for s in st.config.services}
    return {
        "each_lang": each_lang, "each_name": each_name, "languages": languages(),
        "counters": [{"counter": c, "now": at_counter.get(c)} for c in st.config.counters],
        "services": [(services[row.service], row) for row in rows],
    }


@bp.get("")
def page():
    """The full-screen board with its clock; the board inside refreshes on notices."""
    st = station()
    now = local_time(st.clock(), st.config.station.timezone)
    return render_template("display.html", now=now, **board_context())


@bp.get("/board")
def board_fragment():
    """The board alone, for htmx to swap in after a call or a new ticket."""
    return render_template("display_board.html", **board_context())


@bp.get("/voice/<ticket_id>.wav")
def voice(ticket_id: str):
    """The spoken call of a ticket at its counter; 404 for an unknown ticket or a silent station."""
    st = station()
    try:
        ticket: Ticket = st.queue.get(st.db(), ticket_id)
    except QueueError:
        abort(404)
    if ticket.counter is None or st.voice is None:
        abort(404)
    data = st.voice.wav(spoken_call(ticket.number, ticket.counter), "zh")
    if not data:
        abort(404)
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": VOICE_CACHE})
