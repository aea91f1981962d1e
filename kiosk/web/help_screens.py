"""Resident screens of help requests: ask step by step, take the slip, follow up, rate.

Nobody types: the category, details and time are buttons, the phone number
comes from the on-screen keypad. The steps carry their answers in the form
itself (no cookie holds the phone number); the confirm page shows the number
masked and carries a one-time key, so a double tap asks once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..base.clock import local_text
from ..config.help import HelpCategory
from ..help.address import Address, masked_text
from ..help.desk import PREFERRED_TIMES, RequestError, mask_phone, valid_phone
from ..help.slip import request_qr
from ..help.words import STATES, STEPS, TIMES
from ..members import ledger
from ..members.cards import masked_name
from ..printing.spooler import print_status
from .context import station
from .forms import number
from .i18n import current_language
from .queue_screens import STARS, qr_svg
from .refusals import words

bp = Blueprint("help", __name__, url_prefix="/help")




def _error(exc: RequestError):
    return render_template("error.html", title=_("不能办理"), message=words(exc)), exc.status


@bp.get("/")
def start():
    return render_template("help/categories.html", categories=station().config.help.categories)


@bp.post("/ask")
def ask():
    """One step of asking: the first answer still missing decides the page shown.

    `back` (the step's back button) or `stay` (a language or text-size switch, re-posted here with the
    same form) names a step to show again with what was entered so far, unchecked: nothing is lost.
    """
    form = request.form
    category = station().config.help.category(form.get("category"))
    if category is None:
        return _error(RequestError("unknown_category", "", status=404))
    show = form.get("back") or form.get("stay")
    answers = {"category": category.id}
    if category.address:
        step = _address_step(category, form, answers, show)
        if step is not None:
            return step
    phone = form.get("phone")
    page = {"category": category, "answers": answers}
    if phone is None or show == "phone":
        return render_template("help/phone.html", **page, entered=_digits(phone))
    try:
        answers["phone"] = valid_phone(phone)
    except RequestError as exc:     # the number stays on the keypad's display to be corrected
        return render_template("help/phone.html", **page, entered=_digits(phone), error=words(exc)), 400
    details = form.getlist("details")
    if any(d not in {x.id for x in category.details} for d in details):
        return _error(RequestError("unknown_detail", "", status=400))
    if "details_done" not in form or show == "details":
        return render_template("help/details.html", **page, checked=details)
    answers.update(details=details, details_done="1")
    if form.get("time") not in PREFERRED_TIMES or show == "time":
        return render_template("help/time.html", **page, times=TIMES, chosen=form.get("time"))
    answers["time"] = form["time"]
    if form.get("consent") != "yes" or show == "consent":
        return render_template("help/consent.html", **page)
    answers["consent"] = "yes"
    names = {d.id: d.text for d in category.details}
    return render_template("help/confirm.html", **page, key=ledger.one_time_key(),
                           detail_names=[names[d] for d in details], time_label=TIMES[answers["time"]],
                           phone_masked=mask_phone(phone), address_masked=_masked(answers))


def _address_step(category: HelpCategory, form: MultiDict[str, str], answers: dict[str, Any],
                  show: str | None) -> Any:
    """Door-step service: the building, its unit and the door number, each a page of its own until given
    (or shown again: `show`, with what was chosen or keyed); None once the address is whole (in `answers`)."""
    help_settings = station().config.help
    building = help_settings.building(form.get("building"))
    if building is None or show == "building":
        return render_template("help/building.html", category=category, answers=answers,
                               buildings=help_settings.buildings, chosen=form.get("building"))
    answers["building"] = building.id
    if building.units and (form.get("unit") not in building.units or show == "unit"):
        return render_template("help/unit.html", category=category, answers=answers, building=building,
                               chosen=form.get("unit"))
    answers["unit"] = form.get("unit", "") if building.units else ""
    door = form.get("door")
    page = {"category": category, "answers": answers, "building": building, "entered": _digits(door, 5)}
    if door is None or show == "door":
        return render_template("help/door.html", **page)
    try:
        station().requests.valid_address(category.id, (building.id, answers["unit"], door))
    except RequestError as exc:
        return render_template("help/door.html", **page, error=words(exc)), exc.status
    answers["door"] = door
    return None


def _masked(answers: dict[str, Any]) -> str:
    """A door-step request's address as the confirm page shows it: the building only, like the phone."""
    if not answers.get("building"):
        return ""
    where = Address(answers["building"], answers.get("unit", ""), answers["door"])
    return masked_text(station().config.help, where, _, current_language())


def _digits(text: str | None, most: int = 11) -> str:
    """What was keyed on a keypad (digits only, at most `most`), to show it again."""
    return "".join(c for c in (text or "") if c.isdigit())[:most]


@bp.get("/no-consent")
def no_consent():
    return render_template("error.html", title=_("没有关系"),
                           message=_("不留电话也可以：请到服务台找工作人员，我们当面为您登记。")), 200


@bp.post("/submit")
def submit():
    """Record the request and print the slip; a retried confirm carries the same key and asks once."""
    form = request.form
    key = form.get("key", "")[:64]
    address = (form.get("building"), form.get("unit"), form.get("door")) if form.get("building") else None
    try:
        req, _job = station().ask_for_help(form.get("category", ""), form.get("phone", ""),
                                              form.getlist("details"), form.get("time", ""),
                                              consent=form.get("consent") == "yes",
                                              key=f"kiosk:{key}" if key else "", lang=current_language(),
                                              address=address)
    except RequestError as exc:
        return _error(exc)
    return redirect(url_for("help.slip", request_id=req.id))


@bp.get("/r/<request_id>/slip")
def slip(request_id: str):
    st = station()
    try:
        req = st.requests.get(st.db(), request_id)
    except RequestError:
        abort(404)
    return render_template("help/slip.html", req=req, category=st.config.help.category(req.category),
                           qr=qr_svg(request_qr(req.id)), pj=print_status(st.printing.latest_for(req.id)))


@bp.route("/find", methods=["GET", "POST"])
def find():
    """Follow up by the request number on the slip, keyed in on the keypad."""
    if request.method == "POST":
        st = station()
        number = "".join(c for c in request.form.get("number", "") if c.isdigit())[:8]
        try:
            req = st.requests.find(st.db(), number)
        except RequestError as exc:     # not a dead end: the keypad again, the number kept to correct
            return render_template("help/find.html", error=words(exc), entered=number), exc.status
        return redirect(url_for("help.status", request_id=req.id))
    return render_template("help/find.html")


@bp.get("/r/<request_id>")
def status(request_id: str):
    """The request's status timeline; once done and not rated, the stars."""
    st = station()
    conn = st.db()
    try:
        req = st.requests.get(conn, request_id)
    except RequestError:
        abort(404)
    zone = st.config.station.timezone
    steps = [(s, STEPS.get(s.kind, s.kind), masked_name(s.member_name) if s.member_name else "",
              local_text(s.ts, zone, "day_time"))
             for s in st.requests.timeline(conn, req.id)]
    return render_template("help/status.html", req=req, category=st.config.help.category(req.category),
                           steps=steps, state_label=STATES[req.state], stars=STARS)


@bp.post("/r/<request_id>/rate")
def rate(request_id: str):
    st = station()
    try:
        req = st.requests.rate(st.db(), request_id, number("stars", low=1, high=5))
    except RequestError as exc:
        return _error(exc)
    return redirect(url_for("help.rated", request_id=req.id))


@bp.get("/r/<request_id>/thanks")
def rated(request_id: str):
    st = station()
    try:
        req = st.requests.get(st.db(), request_id)
    except RequestError:
        abort(404)
    if req.rating is None:
        return redirect(url_for("help.status", request_id=req.id))
    return render_template("help/thanks.html", req=req)
