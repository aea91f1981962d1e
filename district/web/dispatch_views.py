"""The dispatcher's screen (社区派单): new requests oldest first, whom to send, the dispatch, return visits.

Anyone who may view sees the screens; dispatching and recording a return
visit are for the dispatch right (dispatchers and admins). A refusal
changes nothing and is shown in words.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import Refused
from ..help import dispatch, track, visits
from .auth import require
from .context import console, now, read, write
from .refusals import in_words

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")


@bp.app_template_global()
def category_name(category: str | None) -> object:
    """A help category's name from district.toml ({zh, en}), else its id."""
    return console().settings.dispatch.name(category or "") or category or "–"


@bp.get("/")
@require("view")
def index():
    settings = console().settings
    with read() as conn:
        context = {"alerts": dispatch.alerts(conn, settings.dispatch, settings.zone, now()),
                   "waiting": dispatch.waiting(conn), "following": dispatch.following(conn)}
    return render_template("dispatch.html", moment=now(), **context)


@bp.get("/<request_id>")
@require("view")
def page(request_id: str):
    settings = console().settings
    with read() as conn:
        found = dispatch.one(conn, request_id)
        if found is None:
            abort(404)
        context = {"r": found, "steps": track.steps(conn, request_id), "visits": visits.of_request(conn, request_id),
                   "suggested": dispatch.suggestions(conn, found, settings.district.id),
                   "due": dispatch.due(found.preferred_time, found.created_at, settings.zone)}
    return render_template("dispatch_request.html", default_points=settings.dispatch.points, moment=now(), **context)


@bp.post("/<request_id>")
@require("dispatch")
def send(request_id: str):
    f = request.form
    settings = console().settings
    points = f.get("points", "").strip()
    member = (f.get("member_other") or f.get("member_id", "")).strip()
    try:
        if not points.isdigit():
            raise Refused("the points of a task are 0 to 100", code="bad_points", points=points)
        with write() as conn:
            dispatch.dispatch(conn, settings.dispatch, request_id, member, int(points), note=f.get("note", ""),
                              district=settings.district.id, by=g.user.username, now=now())
            station = dispatch.one(conn, request_id).station_id
    except Refused as refused:
        flash(_("没有派单：%(why)s", why=in_words(refused)), "error")
    else:
        flash(_("派单已签名发往站点，等待站点确认。"), "ok")
        console().wake(station)
    return redirect(url_for("dispatch.page", request_id=request_id))


@bp.post("/<request_id>/visit")
@require("dispatch")
def visit(request_id: str):
    f = request.form
    reached = f.get("reached") == "1"
    score = f.get("satisfaction", "").strip()
    try:
        if reached and not score.isdigit():
            raise Refused("a reached resident's satisfaction is 1 to 5", code="bad_satisfaction")
        with write() as conn:
            visits.record(conn, request_id, reached=reached, satisfaction=int(score) if reached else None,
                          note=f.get("note", ""), by=g.user.username, now=now())
    except Refused as refused:
        flash(_("没有记录回访：%(why)s", why=in_words(refused)), "error")
    else:
        flash(_("已记录回访。"), "ok")
    return redirect(url_for("dispatch.page", request_id=request_id))
