"""Documents on the console: which version each station holds or refused, and editing and publishing them.

Notices have a form (title and text in each language, from and until, in the
district's time); config and catalog are edited as the JSON the contract
describes; a roster is a CSV file or JSON. Publishing checks the contract's
schema first and names every problem; nothing half-valid goes out.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import board, documents, roster_csv
from ..errors import Refused
from .auth import require
from .context import console, now, read, write

bp = Blueprint("documents", __name__, url_prefix="/documents")
#: who may publish what: notices are a dispatcher's work, the rest an admin's
RIGHT = {"notices": "dispatch", "config": "publish", "roster": "publish", "catalog": "publish"}
LANGS = ("zh", "en", "bo")


@bp.get("/")
@require("view")
def overview():
    with read() as conn:
        targets = board.registered(conn)
        matrix = {t.id: documents.status(conn, t.id) for t in targets}
        history = documents.history(conn, limit=30)
    return render_template("documents.html", targets=targets, matrix=matrix, history=history,
                           kinds=documents.KINDS, right=RIGHT)


@bp.get("/<kind>/edit")
@require("view")
def edit(kind: str):
    if kind not in documents.KINDS:
        abort(404)
    target = request.args.get("target", documents.ALL)
    with read() as conn:
        current = documents.latest(conn, kind, target)
        targets = board.registered(conn)
    content = current.body[documents.BODY_FIELD[kind]] if current else ([] if kind != "config" else {})
    return render_template("document_edit.html", kind=kind, target=target, targets=targets, current=current,
                           content=content, text=json.dumps(content, ensure_ascii=False, indent=2),
                           may=g.user.may(RIGHT[kind]), langs=LANGS)


@bp.post("/<kind>/publish")
def publish(kind: str):
    if kind not in documents.KINDS:
        abort(404)
    if not g.user.may(RIGHT[kind]):
        abort(403)
    target = request.form.get("target", documents.ALL)
    try:
        content = _content(kind)
        with write() as conn:
            doc = documents.publish(conn, kind, content, target=target, by=g.user.username, now=now())
    except Refused as refused:
        return _refused(kind, target, refused)
    console().wake(None)
    where = _("所有站点") if target == documents.ALL else target
    flash(_("%(kind)s 第 %(version)d 版已发布给%(where)s。", kind=kind, version=doc.version, where=where), "ok")
    return redirect(url_for("documents.overview"))


def _refused(kind: str, target: str, refused: Refused):
    flash(_("没有发布：%(why)s", why=str(refused)), "error")
    for reason in refused.reasons:
        flash(reason, "error")
    return redirect(url_for("documents.edit", kind=kind, target=target))


def _content(kind: str) -> Any:
    """What the form says the document should hold, or Refused naming what is wrong."""
    if kind == "notices":
        return _notices()
    upload = request.files.get("csv")
    if kind == "roster" and upload and upload.filename:
        try:
            members, problems = roster_csv.parse(upload.read().decode("utf-8"))
        except UnicodeDecodeError:
            raise Refused("the CSV file is not UTF-8 text") from None
        if problems:
            raise Refused("the roster file has bad rows", problems[:20])
        return members
    try:
        return json.loads(request.form.get("text", ""))
    except ValueError as exc:
        raise Refused(f"not valid JSON: {exc}") from None


def _notices() -> list[dict[str, Any]]:
    """The notices kept from the current version, and a new one if its title was filled in."""
    try:
        kept = [n for n in json.loads(request.form.get("current", "[]")) if n.get("id") in request.form.getlist("keep")]
    except (ValueError, AttributeError):
        raise Refused("the current notices could not be read: reload the page") from None
    f = request.form
    if f.get("title_zh", "").strip():
        zone = console().settings.zone
        try:
            start = datetime.fromisoformat(f.get("valid_from", "")).replace(tzinfo=zone)
            until = datetime.fromisoformat(f.get("valid_until", "")).replace(tzinfo=zone)
        except ValueError:
            raise Refused("from and until must be dates and times") from None
        if until <= start:
            raise Refused("until must be after from")
        notice = {"id": f"n{now():%Y%m%d%H%M%S}-{secrets.token_hex(2)}", "title": _texts("title"),
                  "body": _texts("body"), "valid_from": start.isoformat(timespec="seconds"),
                  "valid_until": until.isoformat(timespec="seconds")}
        kept.append(notice)
    return kept


def _texts(field: str) -> dict[str, str]:
    return {lang: request.form[f"{field}_{lang}"].strip() for lang in LANGS
            if request.form.get(f"{field}_{lang}", "").strip()}
