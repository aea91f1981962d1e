"""Resident screens of the queue: choose a service, see the ticket, rate the service."""

from __future__ import annotations

import functools
import uuid
from io import BytesIO

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..printing.spooler import print_status
from ..tickets.slips import ticket_qr
from ..tickets.ticket import QueueError
from .context import station
from .forms import flag, number
from .i18n import current_language
from .refusals import opening_words, words

bp = Blueprint("queue", __name__, url_prefix="/queue")

STARS = ((1, _l("很不满意")), (2, _l("不满意")), (3, _l("一般")), (4, _l("满意")), (5, _l("非常满意")))


@functools.lru_cache(maxsize=64)
def qr_svg(data: str) -> Markup:
    """A QR code as inline SVG, so a ticket that could not be printed can be photographed.

    One fixed mask (any of the eight scans): choosing the best costs eight trial codes, about
    three quarters of the time, which a Pi-class CPU feels on every ticket screen.
    """
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2, mask_pattern=0)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return Markup(svg[svg.index("<svg"):])


@bp.get("/")
def services():
    """One big button per service, with how many wait; `?priority=1` takes priority tickets."""
    st = station()
    rows = [{"service": o.service, "waiting": o.waiting, "open": o.open, "wait_min": (o.estimated_wait_s + 59) // 60,
             "closed_note": None if o.open else _closed_note(o.opens or {})} for o in st.queue.offered(st.db())]
    return render_template("queue/services.html", rows=rows, priority=flag("priority"),
                           request_key=str(uuid.uuid4()))


def _closed_note(opens: dict) -> str:
    """What a closed service's button says: when it takes numbers again."""
    when = opening_words(opens)
    return _("现在不取号，%(when)s 开始", when=when) if when else _("现在不取号")


@bp.post("/take")
def take():
    """Take the number; the page's one-time key makes a double tap give one ticket."""
    key = request.form.get("request_key", "")
    try:
        uuid.UUID(key)
    except ValueError:
        abort(400)
    try:
        taken = station().take_ticket(request.form.get("service", ""), priority=flag("priority"),
                                      request_key=f"kiosk:{key}", lang=current_language())
    except QueueError as exc:
        return render_template("error.html", title=_("不能取号"), message=words(exc)), exc.status
    return redirect(url_for("queue.ticket", ticket_id=taken.issued.ticket.id))


@bp.get("/ticket/<ticket_id>")
def ticket(ticket_id: str):
    st = station()
    try:
        t = st.queue.get(st.db(), ticket_id)
    except QueueError:
        abort(404)
    issued = st.queue.describe(st.db(), t)
    return render_template("queue/ticket.html", ticket=t, issued=issued, service=st.config.service(t.service),
                           qr=qr_svg(ticket_qr(t.id)), wait_min=(issued.estimated_wait_s + 59) // 60,
                           pj=print_status(st.printing.latest_for(t.id)))


def spoken_ticket(number: str) -> str:
    """The Mandarin confirmation: "您的号码是 A 0 0 1，请留意叫号"; each sign of the number read alone."""
    return f"您的号码是 {' '.join(number)}，请留意叫号"


@bp.get("/ticket/<ticket_id>/voice.wav")
def ticket_voice(ticket_id: str):
    """The ticket's number said aloud (offline voice); 404 for an unknown ticket or a silent station."""
    st = station()
    try:
        t = st.queue.get(st.db(), ticket_id)
    except QueueError:
        abort(404)
    data = st.voice.wav(spoken_ticket(t.number), "zh") if st.voice else None
    if not data:
        abort(404)
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/rate")
def rate_start():
    """Rate the last finished service, or find a ticket by its number."""
    st = station()
    return render_template("queue/rate_start.html", to_rate=st.queue.last_to_rate(st.db()),
                           prefixes=[s.prefix for s in st.config.services])


@bp.post("/rate/find")
def rate_find():
    """A number keyed in: a finished, unrated ticket gets the stars; anything else is told why, keypad kept."""
    st = station()
    number = "".join(request.form.get("number", "").split())[:8].upper()
    try:
        t = st.queue.find(st.db(), number)
        st.queue.check_rateable(t)
    except QueueError as exc:
        return render_template("queue/rate_start.html", to_rate=st.queue.last_to_rate(st.db()), error=words(exc),
                               entered=number, prefixes=[s.prefix for s in st.config.services]), exc.status
    return redirect(url_for("queue.rate", ticket_id=t.id))


@bp.route("/rate/<ticket_id>", methods=["GET", "POST"])
def rate(ticket_id: str):
    st = station()
    try:
        t = st.queue.get(st.db(), ticket_id)
    except QueueError:
        abort(404)
    try:
        st.queue.check_rateable(t)
    except QueueError as exc:    # refused before the stars: a waiting or no-show ticket has nothing to rate
        return render_template("error.html", title=_("不能打分"), message=words(exc),
                               retry=url_for("queue.rate_start"), retry_label=_("输入别的号码")), exc.status
    if request.method == "POST":
        try:
            st.queue.rate(st.db(), t.id, number("stars", low=1, high=5))
        except QueueError as exc:
            return render_template("error.html", title=_("不能打分"), message=words(exc)), exc.status
        return redirect(url_for("queue.rated", ticket_id=t.id))
    return render_template("queue/rate.html", ticket=t, stars=STARS)


@bp.get("/rate/<ticket_id>/thanks")
def rated(ticket_id: str):
    """The thanks after a rating (a reload shows it again, it rates nothing twice)."""
    st = station()
    try:
        t = st.queue.get(st.db(), ticket_id)
    except QueueError:
        abort(404)
    if t.rating is None:
        return redirect(url_for("queue.rate", ticket_id=t.id))
    return render_template("queue/thanks.html", ticket=t)
