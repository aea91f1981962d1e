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
    """One step of asking: the first answer still missing decides the page shown."""
    form = request.form
    category = station().config.help.category(form.get("category"))
    if category is None:
        return _error(RequestError("unknown_category", "", status=404))
    answers = {"category": category.id}
    if category.address:
        step = _address_step(category, form, answers)
        if step is not None:
            return step
    phone = form.get("phone")
    if phone is None:
        return render_template("help/phone.html", category=category, answers=answers)
    try:
        answers["phone"] = valid_phone(phone)
    except RequestError as exc:
        return render_template("help/phone.html", category=category, answers=answers, error=words(exc)), 400
    if "details_done" not in form:
        return render_template("help/details.html", category=category, answers=answers)
    details = form.getlist("details")
    if any(d not in {x.id for x in category.details} for d in details):
        return _error(RequestError("unknown_detail", "", status=400))
    answers.update(details=details, details_done="1")
    if form.get("time") not in PREFERRED_TIMES:
        return render_template("help/time.html", category=category, answers=answers, times=TIMES)
    answers["time"] = form["time"]
    if form.get("consent") != "yes":
        return render_template("help/consent.html", category=category, answers=answers)
    answers["consent"] = "yes"
    names = {d.id: d.text for d in category.details}
    return render_template("help/confirm.html", category=category, answers=answers, key=ledger.one_time_key(),
                           detail_names=[names[d] for d in details], time_label=TIMES[answers["time"]],
                           phone_masked=mask_phone(phone), address_masked=_masked(answers))


def _address_step(category: HelpCategory, form: MultiDict[str, str], answers: dict[str, Any]) -> Any:
    """Door-step service: the building, its unit and the door number, each a page of its own until given;
    None once the address is whole (it is then in `answers`)."""
    help_settings = station().config.help
    building = help_settings.building(form.get("building"))
    if building is None:
        return render_template("help/building.html", category=category, answers=answers,
                               buildings=help_settings.buildings)
    answers["building"] = building.id
    if building.units and form.get("unit") not in building.units:
        return render_template("help/unit.html", category=category, answers=answers, building=building)
    answers["unit"] = form.get("unit", "") if building.units else ""
    door = form.get("door")
    if door is None:
        return render_template("help/door.html", category=category, answers=answers, building=building)
    try:
        station().requests.valid_address(category.id, (building.id, answers["unit"], door))
    except RequestError as exc:
        return render_template("help/door.html", category=category, answers=answers, building=building,
                               error=words(exc)), exc.status
    answers["door"] = door
    return None


def _masked(answers: dict[str, Any]) -> str:
    """A door-step request's address as the confirm page shows it: the building only, like the phone."""
    if not answers.get("building"):
        return ""
    where = Address(answers["building"], answers.get("unit", ""), answers["door"])
    return masked_text(station().config.help, where, _, current_language())


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
        try:
            req = st.requests.find(st.db(), request.form.get("number", "")[:12])
        except RequestError as exc:
            return _error(exc)
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
    return render_template("help/thanks.html", req=req)
