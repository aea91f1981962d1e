"""Staff screens: card + PIN sign-in, the menu, points add/deduct, the day's report, the printer test.

A staff session is kept by the station (kiosk/members/sessions.py); the browser's session cookie
holds only its token. It ends on sign-out, after two minutes without a staff action (unless the
counter it works is in service), when the residents' screen goes home (the home button or the idle
reset), on a PIN change, and on a paired device when the device is revoked. Every action passes the
signed-in staff id to the core, which records it.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..members import cards, ledger, sessions, staff
from ..members.ledger import LedgerError
from .context import station
from .i18n import localized
from .refusals import words
from .tapped import binding, claimed_uid, forget_taps, form_matches, tapped_member

bp = Blueprint("staff", __name__, url_prefix="/staff")
SIGNIN_FRESH_S = 60      # a staff card's tap counts this long for its PIN


@bp.context_processor
def capture_cards() -> dict[str, str]:
    """On staff screens a tapped card is picked, never checked in or out."""
    return {"card_mode": "capture"}


def on_console() -> bool:
    """Is this request on the staff console's LAN listener (a paired device), not the residents' screen?"""
    return current_app.config.get("VSTATION_LISTENER") == "console"


def signed_in() -> sessions.StaffSession | None:
    """The live staff session of this browser on this listener (and device), or None."""
    try:
        signed = station().staff_session(session.get("staff_token"), touch=False)
    except sessions.SessionRefused:
        return None
    device = g.get("device")
    return signed if signed.device_id == (device.id if device else None) else None


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a signed-in staff member with a live session gets through (each pass counts as an action)."""
    return _staff_gate(view, touch=True)


def staff_watching(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like staff_required, for what a screen fetches by itself (live parts, its stream): not an action, so a
    console left open still goes idle."""
    return _staff_gate(view, touch=False)


def _staff_gate(view: Callable[..., Any], *, touch: bool) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        device = g.get("device")
        try:
            signed = station().staff_session(session.get("staff_token"), touch=touch)
            if signed.device_id != (device.id if device else None):
                raise sessions.SessionRefused("no_session", "a session of another screen")
        except sessions.SessionRefused as exc:
            session.pop("staff_token", None)
            if exc.details.get("reason") == "idle":
                flash(_("%(m)d 分钟没有操作，已自动退出。", m=station().config.staff_console.idle_minutes)
                      if device else _("两分钟没有操作，已自动退出。"))
            if request.headers.get("HX-Request"):          # a live part: the whole screen goes to sign-in
                return "", 200, {"HX-Redirect": url_for("staff.start")}
            return redirect(url_for("staff.start"))
        g.staff = {"id": signed.member_id, "name": signed.name, "session": signed}
        return view(*args, **kwargs)
    return wrapper


def end_session(reason: str) -> None:
    """End this browser's staff session for good (sign-out, leaving the staff screens), if it has one."""
    st = station()
    sessions.end(st.db(), session.pop("staff_token", None), reason, now=st.clock())


def start_session(member: cards.Member) -> None:
    """A staff member proved their PIN: a new session for this browser (and device), replacing any before."""
    st, device = station(), g.get("device")
    end_session("signed_out")
    session["staff_token"] = sessions.open_session(st.db(), member.id, device_id=device.id if device else None,
                                                   now=st.clock())


@bp.get("/")
def start():
    if signed_in():
        return redirect(url_for("staff.menu"))
    if on_console():
        return redirect(url_for("console.sign_in"))
    return render_template("staff/start.html", on_card=url_for("staff.pin"))


def _signin_member() -> cards.Member | None:
    """The staff member whose card this screen's tap brought (kept for SIGNIN_FRESH_S for the PIN)."""
    kept = session.get("signin")
    if isinstance(kept, dict) and time.time() - kept.get("at", 0) <= SIGNIN_FRESH_S:
        return cards.by_id(station().db(), kept.get("id", ""))
    session.pop("signin", None)
    return None


def _not_staff_card():
    return render_template("error.html", title=_("这不是工作人员卡"), message=_("请用工作人员卡登录。")), 403


@bp.get("/pin")
def pin():
    if on_console():
        return redirect(url_for("console.sign_in"))
    uid = claimed_uid()
    if uid is not None:
        member = cards.find_by_card(station().db(), uid)
        if member is None or member.role != "staff":
            session.pop("signin", None)
            return _not_staff_card()
        session["signin"] = {"id": member.id, "at": time.time()}
    member = _signin_member()
    if member is None:
        return redirect(url_for("staff.start"))
    return render_template("staff/pin.html", member=member)


@bp.post("/pin")
def pin_submit():
    st = station()
    member = None if on_console() else _signin_member()
    if member is None:
        flash(_("请重新刷卡。"))
        return redirect(url_for("staff.start"))
    try:
        member = staff.check_pin(st.db(), member, request.form.get("pin", "")[:6], clock=st.clock)
    except staff.StaffAuthError as exc:
        if exc.code == "not_staff":
            session.pop("signin", None)
            return _not_staff_card()
        if exc.code == "no_pin":
            return render_template("error.html", title=_("还没有设置密码"), message=_("请联系站点负责人设置密码。")), 403
        flash(pin_refusal(exc))
        return redirect(url_for("staff.pin"))
    session.pop("signin", None)
    start_session(member)
    return redirect(url_for("staff.menu"))


def pin_refusal(exc: staff.StaffAuthError) -> str:
    """A wrong PIN, or one too many: how long to wait."""
    if exc.code == "wait" or exc.wait_s:
        return _("密码错误次数太多，请 %(s)d 秒后再试。", s=exc.wait_s)
    return _("密码不对，请再试一次。")


@bp.post("/signout")
def signout():
    end_session("signed_out")
    forget_taps()
    if on_console():
        return redirect(url_for("console.sign_in"))
    return redirect(url_for("screens.home"))


@bp.get("/menu")
@staff_required
def menu():
    return render_template("staff/menu.html", counters=station().config.counters)


@bp.get("/points")
@staff_required
def points():
    return render_template("staff/points_tap.html", on_card=url_for("staff.points_member"))


@bp.get("/points/member")
@staff_required
def points_member():
    """The add/deduct items for the member this screen's tap brought; the forms are bound to that member."""
    st = station()
    member = tapped_member("points")
    if member is None:
        flash(_("请会员刷卡。"))
        return redirect(url_for("staff.points"))
    return render_template("staff/points_member.html", member=member, balance=ledger.balance(st.db(), member.id),
                           items=st.config.points.adjustments, key=binding("points")["key"])


@bp.post("/points/member")
@staff_required
def points_submit():
    """Add or deduct points by a configured item for the member the form showed, once."""
    st, bound = station(), form_matches("points")
    member = cards.by_id(st.db(), bound["id"]) if bound else None
    if member is None:
        flash(_("页面已过期，请会员重新刷卡。"))
        return redirect(url_for("staff.points"))
    item = next((a for a in st.config.points.adjustments if a.id == request.form.get("item")), None)
    balance = ledger.balance(st.db(), member.id)
    if item is not None and item.amount < 0 and request.form.get("confirmed") != "1" \
            and (item.allow_negative or balance + item.amount >= 0):     # a deduction that can be made: asked again
        return render_template("staff/points_confirm.html", member=member, item=item, key=bound["key"],
                               balance=balance)
    try:
        entry, balance = st.adjust_points(member.id, request.form.get("item", ""), staff_id=g.staff["id"],
                                          key=f"staff-form:{bound['key']}")
    except LedgerError as exc:
        flash(words(exc))
        return redirect(url_for("staff.points_member"))
    flash(_("%(name)s：%(amount)+d 分，现有 %(b)d 分", name=member.name, amount=entry.amount, b=balance))
    return redirect(url_for("staff.points"))


@bp.get("/report")
@staff_required
def report():
    report = station().daily_report()
    low = [_("%(name)s（剩 %(n)d）", name=localized(name), n=n) for name, n in report.shop["low_stock"]]
    return render_template("staff/report.html", day=report.day, rows=report.services, shop=report.shop,
                           duty=report.duty, low_stock=low)


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
