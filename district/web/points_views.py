"""Members' points for district staff: balances, a statement across stations, adjustments and overdrafts.

Anyone who may view sees balances and statements; adjusting a balance and
marking an overdraft seen are for admins. Every adjustment needs a reason
configured in district.toml (`[[balances.reason]]`); a refusal changes
nothing and is shown in words.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import Refused
from ..members import cards, register
from ..points import adjust, ledger, overdraft
from .auth import require
from .context import console, now, read, write
from .refusals import in_words

bp = Blueprint("points", __name__, url_prefix="/members")
bp.add_app_template_filter(cards.mask, "masked")


@bp.get("/")
@require("view")
def index():
    text = request.args.get("q", "").strip()[:64]
    with read() as conn:
        people = register.listing(conn, text=text, district=console().settings.district.id,
                                  active=None if request.args.get("all") else True)
        open_overdrafts = overdraft.listing(conn, open_only=True, limit=50)
    return render_template("members.html", people=people, q=text, overdrafts=open_overdrafts)


@bp.get("/<member_id>")
@require("view")
def statement(member_id: str):
    with read() as conn:
        member = register.get(conn, member_id)
        if member is None:
            abort(404)
        context = {"member": member, "lines": ledger.statement(conn, member_id),
                   "cards": register.card_history(conn, member_id),
                   "overdrafts": overdraft.listing(conn, member_id=member_id, limit=20)}
    return render_template("member.html", reasons=console().settings.balances.reasons, **context)


@bp.post("/<member_id>/adjust")
@require("admin")
def adjust_points(member_id: str):
    f = request.form
    amount = f.get("amount", "").strip()
    try:
        if not amount.lstrip("-").isdigit():
            raise Refused(f"{amount!r} is not a whole number", code="bad_amount", amount=amount)
        with write() as conn:
            done = adjust.adjust(conn, console().settings.balances, member_id, int(amount), f.get("reason", ""),
                                 note=f.get("note", ""), by=g.user.username, now=now())
    except Refused as refused:
        flash(_("没有调整：%(why)s", why=in_words(refused)), "error")
    else:
        flash(_("已调整 %(amount)+d 分，余额 %(balance)d 分。各站点的名册随后更新。", amount=done.amount,
                balance=done.balance), "ok")
        console().wake(None)
    return redirect(url_for("points.statement", member_id=member_id))


@bp.post("/overdrafts/<int:overdraft_id>/seen")
@require("admin")
def overdraft_seen(overdraft_id: int):
    try:
        with write() as conn:
            overdraft.review(conn, overdraft_id, by=g.user.username, now=now())
    except Refused as refused:
        flash(in_words(refused), "error")
    else:
        flash(_("已标记为已处理。"), "ok")
    return redirect(url_for("points.index"))
