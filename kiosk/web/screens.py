"""The resident screens: home tiles, the service guide, and the card-tap screen."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..district import documents
from ..lockers.loans import OVERDUE_REASON
from ..members import ledger
from .context import station
from .hours_view import hours_view, on_duty, service_today
from .i18n import localized
from .staff import end_session
from .tapped import forget_taps, tapped_member

bp = Blueprint("screens", __name__)

# Tiles of the home screen, in reading order: (endpoint, title, subtitle, icon).
# A tile whose endpoint is "screens.tile" is not on screen yet and sends the resident to the desk.
TILES = (
    ("queue.services", _l("取号排队"), _l("办事先取号"), "ticket"),
    ("screens.checkin", _l("党员报到"), _l("刷卡签到、查积分"), "card"),
    ("lockers.menu", _l("雨伞·充电"), _l("借还雨伞、手机充电"), "umbrella"),
    ("help.start", _l("我要求助"), _l("群众点单"), "hand"),
    ("screens.guide", _l("服务指南"), _l("开放时间、服务项目"), "info"),
    ("staff.start", _l("工作人员"), _l("社工刷卡登录"), "key"),
)
NOT_YET: set[str] = set()


@bp.get("/")
def home():
    """The home screen; after an idle reset (`?idle=1`) the default language returns."""
    # Leaving the staff screens for the residents' home ends that staff session at once.
    end_session("left")
    if request.args.get("idle"):
        session.pop("lang", None)
        session.pop("big_text", None)
        forget_taps()
        return redirect(url_for("screens.home"))
    to_rate = station().queue.last_to_rate(station().db())
    return render_template("home.html", tiles=TILES, not_yet=NOT_YET, to_rate=to_rate, hours=hours_view(station()))


@bp.get("/welcome")
def welcome():
    """The idle screen: who we are, when we are open (today, now, and the week in turn with the notices),
    who is on duty, and the notices."""
    st = station()
    return render_template("welcome.html", guide=st.config.guide, notices=_notices(), hours=hours_view(st),
                           on_duty=on_duty(st))


def _notices() -> list[dict[str, Any]]:
    """Notices to rotate on the idle screen, each {"title": {zh, bo, en} or None, "body": {zh, bo, en}}:
    the district's current ones first (policy briefings, events), then the station's own."""
    st = station()
    district = [{"title": n.title, "body": n.body} for n in documents.notices(st.db(), st.clock())]
    return district + [{"title": None, "body": dict(n)} for n in st.config.guide.notices]


@bp.get("/guide")
def guide():
    """The service guide: the hours (today, now, the week), the services (with hours of their own), who is
    on duty now (else the configured list), the station's notices."""
    st = station()
    cfg = st.config
    return render_template("guide.html", guide=cfg.guide, services=cfg.services, hours=hours_view(st),
                           own_hours={s.id: service_today(st, s) for s in cfg.services}, on_duty=on_duty(st))


@bp.get("/checkin")
def checkin():
    return render_template("checkin.html")


@bp.get("/me")
def me():
    """The member whose tap this screen claimed: balance and last ten entries (two minutes without a touch)."""
    st = station()
    member = tapped_member("member")
    if member is None:
        return render_template("checkin.html")
    conn = st.db()
    entries = [(e, reason_words(e.reason)) for e in ledger.recent(conn, member.id, 10)]
    return render_template("me.html", member=member, balance=ledger.balance(conn, member.id), entries=entries)


#: What each kind of points entry is called on the member's screen (never the code itself).
REASONS = {"seed": _l("新成员基础分"), "volunteer_hours": _l("志愿服务时长"), "redemption": _l("积分兑换"),
           "void": _l("兑换作废，积分退回"), "help_request": _l("帮助居民（求助单）"),
           OVERDUE_REASON: _l("雨伞逾期未还")}


def reason_words(reason: str) -> str:
    """A points entry's reason in the screen's language; an item the district named, by its label."""
    if reason in REASONS:
        return str(REASONS[reason])
    labels = {f"adjust:{a.id}": a.label for a in station().config.points.adjustments}
    return localized(labels[reason]) if reason in labels else _("积分调整")


@bp.get("/s/<name>")
def tile(name: str):
    """A service this station does not offer on screen yet: send the resident to the desk."""
    titles = {key: title for key, title, _sub, _icon in TILES if key in NOT_YET}
    if name not in NOT_YET:
        abort(404)
    return render_template("soon.html", title=titles[name])
