"""The stations board: every station's state and the district's alerts, refreshed every few seconds (htmx)."""

from __future__ import annotations

from flask import Blueprint, render_template

from .. import board
from .auth import require
from .context import console, now, read

bp = Blueprint("board", __name__)


def _board() -> dict:
    moment = now()
    with read() as conn:
        stations = board.rows(conn, moment, console().settings.alerts)
        refused = board.refused(conn)
    alerts = sorted((a for s in stations for a in s.alerts), key=lambda a: a.since)
    online = sum(1 for s in stations if s.online)
    return {"stations": stations, "alerts": alerts, "refused": refused, "online": online, "moment": moment,
            "limits": console().settings.alerts}


@bp.get("/")
@require("view")
def index():
    return render_template("board.html", **_board())


@bp.get("/board/live")
@require("view")
def live():
    """The board's changing part, for htmx to swap in."""
    return render_template("_board_live.html", **_board())
