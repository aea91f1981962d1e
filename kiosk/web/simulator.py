"""The simulator panel (only with `--simulate`): tap cards, see the paper, work the doors."""

from __future__ import annotations

import zlib

from flask import Blueprint, Response, abort, current_app, render_template, request

from .. import demo
from ..members import cards
from .context import station
from .forms import number

bp = Blueprint("sim", __name__, url_prefix="/sim")


@bp.get("/")
def panel():
    """The panel: one tap button per member with a card (named, the UID masked), and a UID field."""
    st = station()
    return render_template("sim/panel.html", roster=cards.roster_with_cards(st.db()),
                           buttons=[b for b in st.config.counter_buttons if b.kind == "sim"],
                           unknown_card=demo.UNKNOWN_CARD)


@bp.post("/tap")
def tap():
    """Tap a member's card (`member`: their id) or any card by its UID (`uid`: 4–20 hex digits).

    A UID that is not one is refused with 422; it is neither echoed nor logged (card UIDs are personal data).
    """
    st = station()
    member_id = request.form.get("member")
    if member_id is not None:
        uid = cards.card_of(st.db(), member_id)
        if uid is None:
            return render_template("sim/said.html", message="no active member with a card has this id"), 422
    else:
        uid = cards.normalise_uid(request.form.get("uid") or "")
        if not cards.CARD_UID.fullmatch(uid):
            return render_template("sim/said.html", message="UID: 4 to 20 hex digits (0-9, A-F)"), 422
    st.reader.tap(uid)
    return render_template("sim/said.html", message=f"tapped {cards.mask_uid(uid)}")


@bp.get("/printer")
def printer():
    jobs = station().printer.jobs
    # The paper's URL changes only when a new slip is printed, so polling reloads no image.
    last = zlib.crc32(jobs[-1]) if jobs else None
    return render_template("sim/printer.html", state=station().printer.state(), jobs=len(jobs), last=last)


@bp.post("/printer/<action>")
def printer_action(action: str):
    st = station()
    sim = st.printer
    if action == "pull":
        sim.pull_paper()
    elif action == "load":
        sim.load_paper()
    elif action == "low":
        sim.set_paper_low(True)
    elif action == "test":
        st.print_test_page()
    else:
        abort(404)
    return printer()


@bp.get("/paper.png")
def paper():
    jobs = station().printer.jobs
    index = number("job", low=-len(jobs), high=len(jobs) - 1, signed=True) if "job" in request.args else -1
    if not jobs or index is None:
        abort(404)
    return Response(station().printer.paper_png(index), mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/lockers")
def lockers():
    st = station()
    return render_template("sim/lockers.html", views=st.locker_core.overview(st.db()))


@bp.post("/door/<slot>/<action>")
def door(slot: str, action: str):
    """Work a door (open/close) or the slot's item sensor (put/take) as a person would."""
    bank = station().lockers
    if slot not in bank.slot_ids or action not in ("open", "close", "put", "take"):
        abort(404)
    try:
        if action in ("put", "take"):
            bank.sim_item(slot, action == "put")
        else:
            (bank.sim_open if action == "open" else bank.sim_close)(slot)
    except ValueError as exc:      # a slot configured without that sensor
        return render_template("sim/said.html", message=str(exc)), 422
    return lockers()


@bp.post("/button/<counter>/<action>")
def button(counter: str, action: str):
    """Press a simulated counter button (next, recall, done) as a finger would."""
    bank = current_app.extensions.get("vstation.buttons")
    if bank is None or not bank.press(counter, action):
        abort(404)
    return render_template("sim/said.html", message=f"pressed counter {counter} {action}")
