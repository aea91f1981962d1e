"""The small JSON API for integration and tests (docs/architecture.md, JSON API), stable under /api/v1."""

from __future__ import annotations

import re
from dataclasses import asdict

from flask import Blueprint, jsonify, request

from .. import __version__
from ..base import outbox, store
from ..printing.jobs import Job
from ..tickets.calling import Issued
from ..tickets.stats import board
from ..tickets.ticket import QueueError
from .context import station
from .errors import api_error
from .openapi import IDEMPOTENCY_KEY, document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

FAULTS = {"paper_out", "offline"}
TICKET_FIELDS = {"service", "priority", "language"}
PAPER_LANGUAGES = ("zh", "bo", "en")
KEY_PATTERN = re.compile(IDEMPOTENCY_KEY["pattern"])       # the document's rule, the code's rule


@bp.errorhandler(QueueError)
def queue_refused(exc: QueueError):
    """The core's refusal; outside the hours with `opens_at`, the next opening (its message names it too)."""
    if exc.code == "closed":
        return api_error(exc.status, exc.code, str(exc), opens_at=exc.details.get("opens_at"))
    return api_error(exc.status, exc.code, str(exc))


@bp.get("/health")
def health():
    """Is the station serving, and how is each device? `degraded` when a device faults or the
    database cannot be written (another process holds its write lock)."""
    st = station()
    hardware = st.hardware_state()
    conn = st.db()
    writable = store.can_write(conn)
    degraded = hardware["printer"] in FAULTS or hardware["card_reader"] == "offline" or not writable
    return jsonify(
        status="degraded" if degraded else "ok",
        station=st.id,
        version=__version__,
        hardware=hardware,
        database={"schema": store.schema_version(conn), "outbox_depth": outbox.depth(conn), "writable": writable},
    )


@bp.post("/tickets")
def take_ticket():
    """Take a number; an `Idempotency-Key` header makes a retried request return the same ticket."""
    if not request.is_json:
        return api_error(415, "not_json", "send the ticket request as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "bad_json", 'expected a JSON object such as {"service": "consult", "priority": false}')
    unknown = sorted(set(body) - TICKET_FIELDS)
    if unknown:
        return api_error(422, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    if not isinstance(body.get("service"), str):
        return api_error(422, "bad_service", '"service" must be a service id (text)')
    priority = body.get("priority", False)
    if not isinstance(priority, bool):
        return api_error(422, "bad_priority", '"priority" must be true or false')
    language = body.get("language", "zh")
    if language not in PAPER_LANGUAGES:
        return api_error(422, "bad_language", '"language" must be one of "zh", "bo", "en" (the paper\'s language)')
    key = request.headers.get("Idempotency-Key")
    if key is not None and not KEY_PATTERN.fullmatch(key):
        return api_error(422, "bad_idempotency_key", "Idempotency-Key must be 1 to 100 visible ASCII characters")
    taken = station().take_ticket(body["service"], priority=priority, request_key=key and f"api:{key}",
                                  lang=language)
    return _ticket(taken.issued, taken.job), 201 if taken.issued.new else 200


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id: str):
    """A ticket as `POST /tickets` answered it, now: its place in line and how its printing went."""
    st = station()
    found = st.queue.get(st.db(), ticket_id)       # QueueError not_found: 404
    return _ticket(st.queue.describe(st.db(), found), st.printing.latest_for(found.id))


def _ticket(issued: Issued, job: Job | None):
    """The Ticket object of the OpenAPI document; `printed` is its print job's state."""
    ticket = issued.ticket
    return jsonify(id=ticket.id, number=ticket.number, service=ticket.service, priority=ticket.priority,
                   position=issued.position, estimated_wait_s=issued.estimated_wait_s,
                   printed=job.state.value if job else "failed", print_fault=job.fault if job else "never_sent")


@bp.get("/queue")
def queue():
    """Per service: how many wait, who is being served at which counter, the last numbers called."""
    st = station()
    day = st.queue.today()
    return jsonify(day=day, services=[asdict(b) for b in board(st.db(), st.config, day)])


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI document, with this station's service ids."""
    return jsonify(document(__version__, services=[s.id for s in station().config.services]))
