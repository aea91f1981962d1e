"""The counter console: one counter's screen for its staff, on the residents' screen or a paired device.

It shows every service's waiting list (wait times, priority marks), the number at the counter with
its actions (recall, start, done, no-show, transfer, reprint), calls by number, the day's no-shows
that may go back in line, and pause / close / open. The live part (`/staff/counter/<c>/live`) is
fetched again whenever a queue notice comes over the screen's stream, and does not count as a staff
action. The rules are the station's (kiosk/counter_desk.py, kiosk/tickets/); views only render.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..counter_desk import COUNTER_ACTIONS
from ..members import sessions
from ..tickets.counters import CounterState
from ..tickets.ticket import QueueError
from .context import station
from .refusals import words
from .staff import staff_required, staff_watching

bp = Blueprint("counter", __name__, url_prefix="/staff/counter")
#: Actions that a slip of the finger must not do: each is asked once more, naming the number (and the service).
CONFIRMED = ("no_show", "transfer")
#: Actions whose result the console itself shows (the number, big, "called" or "in service"): no notice repeats it.
SHOWN = ("call_next", "call_number", "start")


def _view(counter: str):
    try:
        return station().desk.view(counter)
    except QueueError:
        return None


@bp.get("/<counter>")
@staff_required
def console(counter: str):
    view = _view(counter)
    if view is None:
        return redirect(url_for("staff.menu"))
    sessions.use_counter(station().db(), session["staff_token"], counter)   # its idle rule follows this counter
    return render_template("counter/console.html", view=view, all_services=station().config.services,
                           idle_hold=view.in_service)


@bp.get("/<counter>/live")
@staff_watching
def live(counter: str):
    """The console's live part, fetched again on each queue notice (not a staff action)."""
    view = _view(counter)
    if view is None:
        return "", 404
    return render_template("counter/_live.html", view=view, all_services=station().config.services)


@bp.post("/<counter>/state")
@staff_required
def set_state(counter: str):
    try:
        changed = station().desk.set_state(counter, request.form.get("state", ""), staff_id=g.staff["id"])
        flash({CounterState.OPEN: _("窗口已开放，可以叫号。"), CounterState.PAUSED: _("窗口已暂停叫号。"),
               CounterState.CLOSED: _("窗口已关闭。")}[changed.state])
    except QueueError as exc:
        flash(words(exc))
    return redirect(url_for("counter.console", counter=counter))


@bp.post("/<counter>/reprint")
@staff_required
def reprint(counter: str):
    try:
        ticket, _job = station().desk.reprint(request.form.get("ticket_id", ""), staff_id=g.staff["id"])
        flash(_("%(n)s：号票已送去补打。", n=ticket.number))      # the alerts banner says if the printer cannot
    except QueueError as exc:
        flash(words(exc))
    return redirect(url_for("counter.console", counter=counter))


def _question(counter: str, action: str, ticket_id: str, to_service: str) -> dict | None:
    """What a confirmation asks about (the number at this counter, the service it goes to), or None when
    the action is not one that is asked, or cannot be done as sent: the core then refuses it in words."""
    view = _view(counter)
    ticket = view.current if view else None
    to = station().config.service(to_service) if action == "transfer" else None
    if action not in CONFIRMED or ticket is None or ticket.id != ticket_id \
            or (action == "transfer" and (to is None or to.id == ticket.service)):
        return None
    return {"counter": counter, "action": action, "ticket": ticket, "to": to}


@bp.get("/<counter>/confirm/<action>")
@staff_required
def confirm(counter: str, action: str):
    """The question before a no-show or a transfer: this number, that service, yes or back."""
    asked = _question(counter, action, request.args.get("ticket_id", ""), request.args.get("to_service", ""))
    if asked is None:                       # done or changed meanwhile: the console as it is now
        return redirect(url_for("counter.console", counter=counter))
    return render_template("counter/confirm.html", **asked)


@bp.post("/<counter>/<action>")
@staff_required
def act(counter: str, action: str):
    if action not in COUNTER_ACTIONS:
        return redirect(url_for("counter.console", counter=counter))
    ticket_id, to_service = request.form.get("ticket_id", ""), request.form.get("to_service", "")
    if request.form.get("confirmed") != "1" and _question(counter, action, ticket_id, to_service):
        return redirect(url_for("counter.confirm", counter=counter, action=action, ticket_id=ticket_id,
                                to_service=to_service))             # not asked yet: ask
    try:
        ticket = station().counter_action(action, counter, staff_id=g.staff["id"],
                                          ticket_id=request.form.get("ticket_id"),
                                          to_service=request.form.get("to_service"),
                                          number=request.form.get("number", "")[:12])
        if action not in SHOWN:
            flash(_("%(n)s：%(a)s", n=ticket.number, a=_action_word(action)))
    except QueueError as exc:
        flash(words(exc))
    return redirect(url_for("counter.console", counter=counter))


def _action_word(action: str) -> str:
    return {"call_next": _("已叫号"), "call_number": _("已叫号"), "recall": _("已重新叫号"), "start": _("开始办理"),
            "done": _("已办完"), "no_show": _("已记为过号"), "transfer": _("已转到其他业务"),
            "requeue": _("已重新排队")}[action]
