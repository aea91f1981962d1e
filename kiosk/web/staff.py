"""Staff screens: card + PIN sign-in, the counter console, the day's report, the printer test.

A staff session lives in the signed session cookie and ends after two
minutes without a staff action, on sign-out, or at the kiosk's idle reset.
Every action passes the signed-in staff id to the core, which records it.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..members import cards, ledger, staff
from ..members.ledger import LedgerError
from ..station import COUNTER_ACTIONS
from ..tickets.stats import board
from ..tickets.ticket import QueueError
from .context import station
from .refusals import words

bp = Blueprint("staff", __name__, url_prefix="/staff")
STAFF_IDLE_S = 120


@bp.context_processor
def capture_cards() -> dict[str, str]:
    """On staff screens a tapped card is picked, never checked in or out."""
    return {"card_mode": "capture"}


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a signed-in staff member, active in the last two minutes, gets through."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        signed = session.get("staff")
        if not signed or time.time() - signed.get("seen", 0) > STAFF_IDLE_S:
            session.pop("staff", None)
            if signed:
                flash(_("两分钟没有操作，已自动退出。"))
            return redirect(url_for("staff.start"))
        signed["seen"] = time.time()
        session["staff"] = signed
        g.staff = signed
        return view(*args, **kwargs)
    return wrapper


@bp.get("/")
def start():
    if session.get("staff"):
        return redirect(url_for("staff.menu"))
    station().forget_card()
    return render_template("staff/start.html", on_card=url_for("staff.pin"))


@bp.get("/pin")
def pin():
    st = station()
    card = st.fresh_card()
    if card is None:
        return redirect(url_for("staff.start"))
    member = cards.find_by_card(st.db(), card)
    if member is None or member.role != "staff":
        st.forget_card()
        return render_template("error.html", title=_("这不是工作人员卡"),
                               message=_("请用工作人员卡登录。")), 403
    return render_template("staff/pin.html", member=member)


@bp.post("/pin")
def pin_submit():
    st = station()
    card = st.fresh_card()
    if card is None:
        flash(_("请重新刷卡。"))
        return redirect(url_for("staff.start"))
    try:
        member = staff.sign_in(st.db(), card, request.form.get("pin", "")[:6])
    except staff.StaffAuthError as exc:
        if exc.code == "not_staff":
            st.forget_card()
            return render_template("error.html", title=_("这不是工作人员卡"), message=_("请用工作人员卡登录。")), 403
        if exc.code == "no_pin":
            return render_template("error.html", title=_("还没有设置密码"), message=_("请联系站点负责人设置密码。")), 403
        if exc.code == "wait" or exc.wait_s:
            flash(_("密码错误次数太多，请 %(s)d 秒后再试。", s=exc.wait_s))
        else:
            flash(_("密码不对，请再试一次。"))
        return redirect(url_for("staff.pin"))
    st.forget_card()
    session["staff"] = {"id": member.id, "name": member.name, "seen": time.time()}
    return redirect(url_for("staff.menu"))


@bp.post("/signout")
def signout():
    session.pop("staff", None)
    return redirect(url_for("screens.home"))


@bp.get("/menu")
@staff_required
def menu():
    return render_template("staff/menu.html", counters=station().config.counters)


@bp.get("/counter/<counter>")
@staff_required
def counter(counter: str):
    st = station()
    try:
        services = st.queue.services_of(counter)
    except QueueError:
        return redirect(url_for("staff.menu"))
    conn = st.db()
    waiting = {b.service: b.waiting for b in board(conn, st.config, st.queue.today())}
    return render_template("staff/counter.html", counter=counter, current=st.queue.at_counter(conn, counter),
                           services=services, waiting=waiting, all_services=st.config.services)


@bp.post("/counter/<counter>/<action>")
@staff_required
def counter_action(counter: str, action: str):
    if action not in COUNTER_ACTIONS:
        return redirect(url_for("staff.counter", counter=counter))
    try:
        ticket = station().counter_action(action, counter, staff_id=g.staff["id"],
                                          ticket_id=request.form.get("ticket_id"),
                                          to_service=request.form.get("to_service"))
        flash(_("%(n)s：%(a)s", n=ticket.number, a=_action_word(action)))
    except QueueError as exc:
        flash(words(exc))
    return redirect(url_for("staff.counter", counter=counter))


def _action_word(action: str) -> str:
    return {"call_next": _("已叫号"), "recall": _("已重新叫号"), "start": _("开始办理"), "done": _("已办完"),
            "no_show": _("已记为过号"), "transfer": _("已转到其他业务")}[action]


@bp.get("/points")
@staff_required
def points():
    station().forget_card()
    return render_template("staff/points_tap.html", on_card=url_for("staff.points_member"))


@bp.route("/points/member", methods=["GET", "POST"])
@staff_required
def points_member():
    """Add or deduct points for the member whose card was just tapped, by a configured item."""
    st = station()
    card = st.fresh_card()
    member = cards.find_by_card(st.db(), card) if card else None
    if member is None or member.role == "staff":
        flash(_("请会员刷卡。"))
        return redirect(url_for("staff.points"))
    if request.method == "POST":
        try:
            entry, balance = st.adjust_points(member.id, request.form.get("item", ""), staff_id=g.staff["id"],
                                              key=f"staff-form:{request.form.get('key', '')[:64]}")
        except LedgerError as exc:
            flash(words(exc))
            return redirect(url_for("staff.points_member"))
        flash(_("%(name)s：%(amount)+d 分，现有 %(b)d 分", name=member.name, amount=entry.amount, b=balance))
        st.forget_card()
        return redirect(url_for("staff.points"))
    return render_template("staff/points_member.html", member=member, balance=ledger.balance(st.db(), member.id),
                           items=st.config.points.adjustments, key=ledger.one_time_key())


@bp.get("/report")
@staff_required
def report():
    report = station().daily_report()
    return render_template("staff/report.html", day=report.day, rows=report.services, shop=report.shop,
                           duty=report.duty)


@bp.post("/report/print")
@staff_required
def report_print():
    ok = station().print_daily_report()
    flash(_("报表已打印。") if ok else _("打印机不能打印，请检查纸张。"))
    return redirect(url_for("staff.report"))


@bp.post("/printer/test")
@staff_required
def printer_test():
    ok = station().print_test_page()
    flash(_("测试页已打印。") if ok else _("打印机不能打印，请检查纸张。"))
    return redirect(url_for("staff.menu"))
