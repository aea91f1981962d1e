"""Locker screens: residents borrow/return umbrellas and charge phones; staff see every slot and open doors.

A resident picks an action and taps a card; the screen (in "capture" mode, so
the tap checks nobody in) then asks the station to open a door and follows
the operation until the door is shut again. The tapped card is consumed by
that request, so reloading the page opens nothing twice.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..lockers import loans
from ..lockers.machine import LockerRefusal
from ..members import cards
from ..members.cards import masked_name
from .context import station
from .refusals import words
from .staff import staff_required
from .tapped import claimed_uid

bp = Blueprint("lockers", __name__, url_prefix="/lockers")
staff_bp = Blueprint("staff_lockers", __name__, url_prefix="/staff/lockers")
ACTIONS = {"borrow": _l("借雨伞"), "return": _l("还雨伞"), "deposit": _l("存手机充电"), "collect": _l("取手机")}
STAFF_REASONS = (("restock", _l("放入雨伞")), ("empty", _l("取出雨伞")), ("hand_over", _l("把手机交还本人")),
                 ("repair", _l("检查维修")), ("help", _l("帮居民开门")))
#: The reasons that make sense for each kind of slot (an umbrella slot never holds a phone).
REASONS_FOR = {"umbrella": ("restock", "empty", "repair", "help"), "charging": ("hand_over", "repair", "help")}


@staff_bp.context_processor
def _capture() -> dict[str, str]:
    return {"card_mode": "capture"}




@bp.get("/")
def menu():
    return render_template("lockers/menu.html", actions=ACTIONS)


@bp.get("/<action>")
def tap(action: str):
    if action not in ACTIONS:
        abort(404)
    return render_template("lockers/tap.html", action=action, title=ACTIONS[action], card_mode="capture",
                           on_card=url_for("lockers.go", action=action))


@bp.route("/<action>/go", methods=["GET", "POST"])
def go(action: str):
    """Open a door for the card just tapped (POST: the return button, without a card)."""
    if action not in ACTIONS:
        abort(404)
    st = station()
    uid = claimed_uid() if request.method == "GET" else None    # a tap opens one door, once
    if request.method == "GET" and uid is None:
        return redirect(url_for("lockers.tap", action=action))
    if request.method == "POST" and action != "return":
        abort(405)
    try:
        started = st.locker_action(action, uid)
    except LockerRefusal as exc:
        return render_template("lockers/refused.html", title=ACTIONS[action], message=words(exc)), 409
    return redirect(url_for("lockers.op_status", op_id=started.op_id))


@bp.get("/op/<op_id>")
def op_status(op_id: str):
    """One door operation: the resident's page, or (polled by that page through htmx) its progress alone."""
    st = station()
    status = st.locker_core.status(st.db(), op_id[:64])
    if status is None:
        abort(404)
    if request.headers.get("HX-Request"):
        return render_template("lockers/_status.html", status=status)
    return render_template("lockers/opening.html", title=ACTIONS.get(status.op, _l("储物柜")), status=status)


@staff_bp.get("/")
@staff_required
def overview():
    return render_template("lockers/staff.html", **_board())


@staff_bp.get("/board")
@staff_required
def board():
    """The slots and loans alone: the staff page reloads them every few seconds (live doors and loans)."""
    return render_template("lockers/_board.html", **_board())


def _board() -> dict:
    st = station()
    conn = st.db()
    labels = dict(STAFF_REASONS)
    reasons = {purpose: [(key, labels[key]) for key in keys] for purpose, keys in REASONS_FOR.items()}
    out = [(loan, masked_name(cards.name_of(conn, loan.member_id) or "") if loan.member_id else None)
           for loan in loans.open_loans(conn)]
    return {"slots": st.locker_core.overview(conn), "reasons": reasons, "loans": out}


@staff_bp.post("/<slot_id>/open")
@staff_required
def open_door(slot_id: str):
    reason = request.form.get("reason", "")
    purpose = station().locker_core.purpose.get(slot_id[:16], "")
    if reason not in REASONS_FOR.get(purpose, dict(STAFF_REASONS)):
        flash(_("请选择开门原因。"))
        return redirect(url_for("staff_lockers.overview"))
    try:
        outcome = station().open_door(slot_id[:16], reason=reason, by=g.staff["id"])
    except LockerRefusal as exc:
        outcome = exc.code
    flash({"opened": _("柜门 %(slot)s 已打开。", slot=slot_id),
           "busy": _("柜门 %(slot)s 正在使用，请稍等。", slot=slot_id),
           "no_such_slot": _("没有这个格子。")}.get(outcome, _("柜门 %(slot)s 没有打开，请检查锁。", slot=slot_id)))
    return redirect(url_for("staff_lockers.overview"))
