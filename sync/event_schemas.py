"""The JSON schema of every event type's `data` (docs/asyncapi.yaml `Data.<type>`), for the district's checks.

The station's code owns these: each schema names every field its writer puts
in (none more: `additionalProperties: false`), tests validate the events the
station really writes against them, and a test holds docs/asyncapi.yaml
equal to this file. Pure (the district imports it): the enums are written
out here and checked against the station's own lists by the tests.
"""

from __future__ import annotations

from typing import Any

ID = {"type": "string", "minLength": 1, "maxLength": 64}
UUID = {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
TIME = {"type": "string", "description": "RFC 3339, UTC"}
COUNT = {"type": "integer", "minimum": 0}
POINTS = {"type": "integer", "description": "points: positive adds, negative takes away"}
TEXT = {"type": "string", "maxLength": 300}
NULLABLE_ID = {"type": ["string", "null"], "maxLength": 64}

TICKET_STATES = ["waiting", "called", "serving", "done", "no_show", "cancelled"]
DOCUMENT_KINDS = ["config", "roster", "catalog", "notices"]
REJECTED_CODES = ["too_large", "not_json", "too_deep", "unknown_schema", "invalid", "stale", "rules", "cannot_write"]
PRINTER_STATES = ["ok", "paper_low", "paper_out", "offline", "unknown"]
PRINT_FAULTS = ["paper_out", "offline", "stale", "interrupted", "error"]
LOAN_KINDS = ["umbrella", "charging"]
COUNTER_STATES = ["open", "paused", "closed"]


def _data(description: str, properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An event's data: every listed field is there (but the optional ones), nothing else."""
    return {"type": "object", "description": description, "properties": properties,
            "required": [name for name in properties if name not in optional], "additionalProperties": False}


def _ticket(description: str, **extra: Any) -> dict[str, Any]:
    """A ticket event: the ticket as it is after the change, and what the change adds."""
    optional = tuple(name for name, spec in extra.items() if spec.pop("optional", False))
    return _data(description, {"ticket_id": UUID, "number": {"type": "string", "pattern": "^[A-Z][0-9]{3,}$"},
                               "service": ID, "state": {"type": "string", "enum": TICKET_STATES},
                               "counter": NULLABLE_ID, **extra}, optional)


BY_STAFF = {"type": "string", "maxLength": 64, "description": "the staff member's id, or who else did it"}

TICKETS: dict[str, dict[str, Any]] = {
    "ticket.issued": _ticket("A resident took a number.", priority={"type": "boolean"},
                             position={**COUNT, "description": "1 = next to be called"},
                             estimated_wait_s=COUNT),
    "ticket.called": _ticket("A counter called the ticket (recall: called again).", by=BY_STAFF,
                             recall={"type": "boolean"}),
    "ticket.started": _ticket("Service began at the counter.", by=BY_STAFF),
    "ticket.done": _ticket("Service finished.", by=BY_STAFF),
    "ticket.no_show": _ticket("Called, and nobody came.", by=BY_STAFF),
    "ticket.transferred": _ticket("Sent to another service; it keeps its number and time.", by=BY_STAFF,
                                  from_service=ID),
    "ticket.cancelled": _ticket("Ended unserved: by staff, at the end of the day (by: day_end) or by the "
                                "district's queue.reset_day (reason: reset_day).", by=BY_STAFF,
                                reason={"type": "string", "enum": ["reset_day"], "optional": True}),
    "rating.given": _ticket("The resident rated a finished service.", rating={"type": "integer", "minimum": 1,
                                                                             "maximum": 5}),
    "ticket.requeued": _ticket("A no-show put back in line by staff: it keeps its number and goes to the end.",
                               by=BY_STAFF, position={**COUNT, "description": "its place in line now"}),
    "ticket.reprinted": _ticket("Staff sent the ticket to print again on purpose (the print job's end says "
                                "whether it printed).", by=BY_STAFF, print_job={"type": "integer", "minimum": 1}),
    "counter.state": _data("A counter opened, paused (a break: it still counts for the waits) or closed by its "
                           "staff; a counter not open calls nobody.", {
                               "counter": ID, "state": {"type": "string", "enum": COUNTER_STATES},
                               "before": {"type": "string", "enum": COUNTER_STATES}, "by": BY_STAFF}),
}

MEMBERS: dict[str, dict[str, Any]] = {
    "member.checked_in": _data("A member tapped their card to check in.", {"member_id": ID, "visit_id": UUID}),
    "member.checked_out": _data("A member checked out (auto: at closing time, capped).", {
        "member_id": ID, "visit_id": UUID, "minutes": COUNT, "points": COUNT, "auto": {"type": "boolean"}}),
    "card.unknown": _data("A card the station does not know was tapped.", {
        "uid": {"type": "string", "maxLength": 5, "description": "masked: … and at most the last four characters"}}),
    "points.entry": _data("One entry of the points ledger (append-only).", {
        "entry_id": UUID, "member_id": ID, "amount": POINTS,
        "reason": {"type": "string", "maxLength": 64,
                   "description": "seed, volunteer_hours, redemption, void, adjust:<item>, help_request, "
                                  "locker:overdue"},
        "author": {"type": "string", "maxLength": 64}, "note": TEXT,
        "balance_after": {"type": "integer", "description": "the member's balance at this station after it"}}),
}

DUTY: dict[str, dict[str, Any]] = {
    "staff.on_duty": _data("A staff member tapped their card to begin duty.", {
        "member_id": ID, "duty_id": UUID, "started_at": TIME}),
    "staff.off_duty": _data("A duty ended: by the staff member's tap, or at closing time (auto).", {
        "member_id": ID, "duty_id": UUID, "started_at": TIME, "ended_at": TIME, "minutes": COUNT,
        "auto": {"type": "boolean"}}),
}

SHOP: dict[str, dict[str, Any]] = {
    "redemption.made": _data("Goods redeemed for points (the ledger's entry is a points.entry).", {
        "redemption_id": UUID, "member_id": ID, "staff_id": ID,
        "items": {"type": "array", "minItems": 1, "items": _data("one line", {
            "goods_id": ID, "qty": {"type": "integer", "minimum": 1, "maximum": 99},
            "unit_price": {"type": "integer", "minimum": 1}})},
        "total": {"type": "integer", "minimum": 1}, "balance_after": {"type": "integer"}}),
    "redemption.voided": _data("A redemption of the same day undone: points and stock back.", {
        "redemption_id": UUID, "member_id": ID, "staff_id": ID, "total": {"type": "integer", "minimum": 1},
        "reason": {"type": "string", "maxLength": 200}}),
    "stock.adjusted": _data("Stock received (+n) or counted (set to n) by staff.", {
        "goods_id": ID, "delta": {"type": "integer"}, "stock": COUNT,
        "reason": {"type": "string", "enum": ["received", "counted"]}, "staff_id": ID}),
}

SLOT = {"type": "string", "maxLength": 16}
LOCKERS: dict[str, dict[str, Any]] = {
    "locker.opened": _data("A locker door opened (confirmed by its sensor).", {
        "slot": SLOT, "op": {"type": "string", "enum": ["borrow", "return", "deposit", "collect", "staff"]},
        "op_id": UUID, "by": {"type": "string", "maxLength": 64}, "reason": {"type": ["string", "null"]},
        "member_id": NULLABLE_ID}),
    "locker.fault": _data("A door failed to open too many times in a row: the slot is out of use.", {
        "slot": SLOT, "failures": {"type": "integer", "minimum": 1},
        "reason": {"type": "string", "enum": ["door_not_opened"]}}),
    "loan.started": _data("An umbrella borrowed or a phone stored (after the door opened and shut).", {
        "loan_id": UUID, "kind": {"type": "string", "enum": LOAN_KINDS}, "slot": SLOT, "member_id": NULLABLE_ID,
        "due": TIME}),
    "loan.ended": _data("The umbrella is back, or the phone collected.", {
        "loan_id": UUID, "kind": {"type": "string", "enum": LOAN_KINDS}, "slot": SLOT, "member_id": NULLABLE_ID,
        "by": {"type": "string", "maxLength": 64}, "late": {"type": "boolean"}}),
    "loan.overdue": _data("A loan passed its due time (reported once).", {
        "loan_id": UUID, "kind": {"type": "string", "enum": LOAN_KINDS}, "slot": SLOT, "member_id": NULLABLE_ID,
        "due": TIME, "points_deducted": COUNT}),
}

REQUEST = {"request_id": UUID, "member_id": ID}
HELP: dict[str, dict[str, Any]] = {
    "request.created": _data("A resident asked for help at the screen (the phone number and the door stay at the "
                             "station).", {
        "request_id": UUID, "number": {"type": "string", "pattern": "^[0-9]{4,}$"}, "category": ID,
        "details": {"type": "array", "items": ID, "maxItems": 20},
        "preferred_time": {"type": "string", "enum": ["today_am", "today_pm", "tomorrow_am", "tomorrow_pm",
                                                      "this_week"]},
        "phone_masked": {"type": "string", "pattern": "^1[0-9]{2}[*]{4}[0-9]{4}$"},
        "consent": {"type": "boolean", "enum": [True]}, "lang": {"type": "string", "enum": ["zh", "bo", "en"]},
        "building": {**ID, "description": "door-step service only: the building's id (unit and door stay at "
                                          "the station, for the member who takes it)"}}, optional=("building",)),
    "request.dispatched": _data("The district's request.dispatch gave it to a member.", {
        **REQUEST, "points": {"type": "integer", "minimum": 0, "maximum": 100}}),
    "request.accepted": _data("The member accepted it at the station.", REQUEST),
    "request.done": _data("The member finished it (the points, if any, are a points.entry).", {
        **REQUEST, "outcome": {"type": "string", "enum": ["solved", "partly", "referred"]},
        "points": {"type": "integer", "minimum": 0, "maximum": 100}}),
    "request.handed_back": _data("The member gave it back; it is open for the district again.", {
        **REQUEST, "reason": {"type": "string", "enum": ["no_time", "not_suitable", "cannot_reach", "too_far"]}}),
    "request.rated": _data("The resident rated the finished request.", {
        "request_id": UUID, "member_id": NULLABLE_ID, "stars": {"type": "integer", "minimum": 1, "maximum": 5}}),
}

SUMMARIES: dict[str, dict[str, Any]] = {
    "config": {"type": "object", "properties": {"sections": {"type": "array", "items": {
        "type": "string", "enum": ["services", "queue", "guide", "points", "help"]}}},
        "required": ["sections"], "additionalProperties": False},
    "roster": {"type": "object", "properties": {"added": COUNT, "updated": COUNT, "inactive": COUNT},
               "required": ["added", "updated", "inactive"], "additionalProperties": False},
    "catalog": {"type": "object", "properties": {"goods": COUNT, "on_offer": COUNT},
                "required": ["goods", "on_offer"], "additionalProperties": False},
    "notices": {"type": "object", "properties": {"notices": COUNT}, "required": ["notices"],
                "additionalProperties": False},
    "resent": {"type": "object", "description": "config.resend: the applied document reported again",
               "properties": {"resent": {"type": "boolean", "enum": [True]},
                              "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
               "required": ["resent", "sha256"], "additionalProperties": False},
}

DISTRICT: dict[str, dict[str, Any]] = {
    "config.applied": _data("A district document was applied; summary by kind (SUMMARIES), or resent.", {
        "doc": {"type": "string", "enum": DOCUMENT_KINDS},
        "version": {"type": "integer", "minimum": 1},
        "summary": {"type": "object", "description": "per doc: config {sections}, roster {added, updated, "
                                                     "inactive}, catalog {goods, on_offer}, notices {notices}; "
                                                     "a config.resend: {resent, sha256}"}}),
    "config.rejected": _data("A district document changed nothing; why, in words and as a code.", {
        "doc": {"type": "string", "enum": DOCUMENT_KINDS},
        "version": {"type": ["integer", "null"], "minimum": 1, "description": "null when it could not be read"},
        "code": {"type": "string", "enum": REJECTED_CODES},
        "reasons": {"type": "array", "minItems": 1, "maxItems": 20, "items": TEXT}}),
    "printer.fault": _data("A print job failed (the slip is shown on screen instead; never printed late by itself).", {
        "state": {"type": "string", "enum": PRINTER_STATES},
        "slip": {"type": "string", "maxLength": 32, "description": "ticket, receipt, report, test_page, …"},
        "error": {"type": "string", "maxLength": 64, "description": "the driver's error, or what ended the job"},
        "job_id": {"type": "integer", "minimum": 1, "description": "the station's print job"},
        "fault": {"type": "string", "enum": PRINT_FAULTS}}),
}

EVENT_DATA: dict[str, dict[str, Any]] = {**TICKETS, **MEMBERS, **DUTY, **SHOP, **LOCKERS, **HELP, **DISTRICT}
# command.result carries the CommandResult payload itself: sync/schemas.py adds it (it is defined there).
