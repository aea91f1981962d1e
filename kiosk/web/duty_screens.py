"""The duty clock (上岗 / 下岗): staff tap their card at the residents' screen at the start and end of duty.

No PIN: like a time clock, the staff card itself is the record (only a staff
card counts, and a double tap only shows the state). The tap is claimed by
this screen (`?tap=`), so a reload records nothing twice. The guide then
shows who is on duty; the day's report lists the hours.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..base.clock import local_text
from ..members.duty import DutyError, DutyTap
from .context import station
from .hours_view import on_duty
from .refusals import words
from .staff import capture_cards
from .tapped import claimed_uid

bp = Blueprint("duty", __name__, url_prefix="/staff/duty")
bp.context_processor(capture_cards)          # a tap here is picked, never a check-in


@bp.get("/")
def clock():
    """Tap to go on or off duty; who is on duty now (the residents' screen only: it has the card reader)."""
    return render_template("staff/duty.html", on_card=url_for("duty.tapped"), on_duty=on_duty(station()) or [])


@bp.get("/tap")
def tapped():
    """The card this screen's tap brought: on duty, off duty, or the state again."""
    uid = claimed_uid()
    if uid is None:
        flash(_("请重新刷卡。"))
        return redirect(url_for("duty.clock"))
    st = station()
    try:
        done = st.duty.tap(st.db(), uid)
    except DutyError as exc:
        return render_template("error.html", title=_("这不是工作人员卡"), message=words(exc)), exc.status
    return render_template("staff/duty_done.html", said=said(done), on_duty=on_duty(st) or [])


def said(done: DutyTap) -> str:
    """What the duty clock tells the staff member."""
    zone, shift = station().config.station.timezone, done.shift
    since = local_text(shift.started_at, zone, "time")
    minutes = shift.minutes(station().clock())
    if done.kind == "on_duty":
        return _("%(name)s：已上岗（%(time)s）。下岗时请再刷一次卡。", name=done.member.name, time=since)
    if done.kind == "off_duty":
        return _("%(name)s：已下岗，本次值班 %(h)d 小时 %(m)d 分。辛苦了！", name=done.member.name,
                 h=minutes // 60, m=minutes % 60)
    if done.on_duty:
        return _("%(name)s：您 %(time)s 已经上岗了。", name=done.member.name, time=since)
    return _("%(name)s：您 %(time)s 已经下岗了。", name=done.member.name,
             time=local_text(shift.ended_at, zone, "time"))
