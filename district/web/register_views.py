"""The member register for admins: add members and volunteers, edit, give and replace cards, deactivate, CSV.

Each change is one transaction through `district.members.register`; the
rosters round is woken after it, so every station's roster follows. A
refusal changes nothing and is shown in words; a CSV with bad rows imports
nothing and lists every one of them.
"""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import Refused
from ..members import register, roster_import
from .auth import require
from .context import console, now, write
from .refusals import in_words

bp = Blueprint("register", __name__, url_prefix="/register")


def _change(member_id: str, done: str, change: Callable, *, new: bool = False) -> object:
    """Make one change; back to the member's page (to the list when a new member was refused)."""
    try:
        with write() as conn:
            change(conn)
    except Refused as refused:
        flash(_("没有保存：%(why)s", why=in_words(refused)), "error")
        if new:
            return redirect(url_for("points.index"))
    else:
        flash(done, "ok")
        console().wake(None)
    return redirect(url_for("points.statement", member_id=member_id))


@bp.post("/")
@require("admin")
def add():
    f, settings = request.form, console().settings
    member_id = f.get("member_id", "").strip()
    opening = f.get("opening", "").strip()
    if opening and not opening.lstrip("-").isdigit():
        flash(_("没有保存：%(why)s", why=_("原有余额必须是整数")), "error")
        return redirect(url_for("points.index"))
    return _change(member_id, _("已添加成员 %(m)s。", m=member_id), new=True, change=lambda conn: register.add(
        conn, member_id=member_id, name=f.get("name", ""), role=f.get("role", ""), grid=f.get("grid", ""),
        card_uid=f.get("card_uid", "").strip() or None, district=settings.district.id,
        seed=settings.balances.new_member, by=g.user.username, now=now(), opening=int(opening) if opening else None))


@bp.post("/<member_id>")
@require("admin")
def edit(member_id: str):
    f = request.form
    return _change(member_id, _("已保存。"), lambda conn: register.update(
        conn, member_id, name=f.get("name", ""), role=f.get("role", ""), grid=f.get("grid", ""),
        by=g.user.username, now=now()))


@bp.post("/<member_id>/card")
@require("admin")
def card(member_id: str):
    f = request.form
    why = f.get("why") if f.get("why") in ("replaced", "lost") else "replaced"
    return _change(member_id, _("已换卡。旧卡不能再用。"), lambda conn: register.give_card(
        conn, member_id, f.get("card_uid", "").strip() or None, why=why, by=g.user.username, now=now()))


@bp.post("/<member_id>/deactivate")
@require("admin")
def deactivate(member_id: str):
    return _change(member_id, _("已停用。各站点随后不再认这张卡。"), lambda conn: register.deactivate(
        conn, member_id, request.form.get("reason", ""), by=g.user.username, now=now()))


@bp.post("/<member_id>/reactivate")
@require("admin")
def reactivate(member_id: str):
    return _change(member_id, _("已重新启用。"), lambda conn: register.reactivate(
        conn, member_id, by=g.user.username, now=now()))


@bp.route("/import", methods=["GET", "POST"])
@require("admin")
def import_csv():
    if request.method == "GET":
        return render_template("register_import.html", outcome=None)
    upload = request.files.get("csv")
    raw = upload.read() if upload else b""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        outcome = roster_import.Outcome(problems=[_("文件不是 UTF-8 编码的文本（请另存为 CSV UTF-8）")])
    else:
        settings = console().settings
        try:
            with write() as conn:             # bad rows write nothing; a refusal midway rolls all back
                outcome = roster_import.apply(conn, text, district=settings.district.id,
                                              seed=settings.balances.new_member, by=g.user.username, now=now())
        except Refused as refused:
            outcome = roster_import.Outcome(problems=[in_words(refused)])
    if not outcome.problems:
        console().wake(None)
    return render_template("register_import.html", outcome=outcome), 400 if outcome.problems else 200
