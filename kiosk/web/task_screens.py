"""Member screens of help requests (党员接单): my tasks, accept, done with an outcome, hand back.

A member is whose tap this screen claimed (kiosk/web/tapped.py): the tap is
bound to this browser's session alone, for two minutes without a touch (and
dropped at the idle reset), so the list (with a resident's full phone number)
and the buttons are that member's only; the core refuses a task that was not
dispatched to them. The list is what this station last knew, with its age:
it works with the district offline.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..config.help import HelpSettings
from ..help.address import full_text, masked_text
from ..help.desk import ACCEPTED, DISPATCHED, HelpRequest, RequestError, age_minutes
from ..help.words import HAND_BACK_REASONS, OUTCOMES, STATES, TIMES
from ..members import cards
from .context import station
from .i18n import current_language
from .refusals import words
from .tapped import tapped_member

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _member() -> cards.Member | None:
    """The member this screen's tap brought (claimed once; kept for two minutes without a touch)."""
    return tapped_member("member")


@bp.get("/")
def mine():
    member = _member()
    if member is None:
        return render_template("tasks/tap.html", on_card=url_for("tasks.mine"), card_mode="capture")
    st = station()
    conn, now = st.db(), st.clock()
    tasks = st.requests.tasks_for(conn, member.id)
    newest = max((t.updated_at for t in tasks), default=None)
    return render_template("tasks/list.html", member=member, tasks=tasks, categories=st.config.help,
                           times=TIMES, states=STATES, outcomes=OUTCOMES, age=lambda ts: age_text(age_minutes(ts, now)),
                           newest_age=age_text(age_minutes(newest, now)) if newest else None,
                           address=lambda t: task_address(st.config.help, t))


def task_address(settings: HelpSettings, task: HelpRequest) -> str:
    """A door-step task's address for its member: whole while the task is theirs and open, like the phone
    number; the building alone once it is done."""
    shown = full_text if task.state in (DISPATCHED, ACCEPTED) else masked_text
    return shown(settings, task.address, _, current_language())


def age_text(minutes: int) -> str:
    """How old what the station knows is, in words a member reads at a glance."""
    if minutes < 1:
        return _("刚刚")
    if minutes < 60:
        return _("%(m)d 分钟前", m=minutes)
    if minutes < 48 * 60:
        return _("%(h)d 小时前", h=minutes // 60)
    return _("%(d)d 天前", d=minutes // (24 * 60))


@bp.post("/<request_id>/accept")
def accept(request_id: str):
    return _act(lambda st, m: st.requests.accept(st.db(), request_id, m.id), _("已接单，请尽快和居民联系。"))


@bp.route("/<request_id>/done", methods=["GET", "POST"])
def done(request_id: str):
    if request.method == "GET":
        return _choose(request_id, "done", OUTCOMES, _("办理结果是？"))
    return _act(lambda st, m: st.requests.done(st.db(), request_id, m.id, request.form.get("choice", "")),
                _("已办结，谢谢您！"))


@bp.route("/<request_id>/hand-back", methods=["GET", "POST"])
def hand_back(request_id: str):
    if request.method == "GET":
        return _choose(request_id, "hand_back", HAND_BACK_REASONS, _("为什么退单？"))
    return _act(lambda st, m: st.requests.hand_back(st.db(), request_id, m.id, request.form.get("choice", "")),
                _("已退单，社区会重新派单。"))


def _choose(request_id: str, action: str, choices: dict[str, str], title: str):
    if _member() is None:
        return redirect(url_for("tasks.mine"))
    return render_template("tasks/choose.html", request_id=request_id, action=action, choices=choices, title=title)


def _act(call, success: str):
    member = _member()
    if member is None:
        flash(_("请先刷卡。"))
        return redirect(url_for("tasks.mine"))
    st = station()
    try:
        req = call(st, member)
    except RequestError as exc:
        flash(words(exc))
        return redirect(url_for("tasks.mine"))
    flash(success + " " + _("求助号 %(n)s", n=req.number))
    return redirect(url_for("tasks.mine"))
