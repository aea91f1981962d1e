"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json.

It states every rule the API enforces (lengths, patterns, enums, the answers
it may give), so that a request valid by the document is never refused but
for the reasons the document names; tests/test_api_contract.py runs a
property-based fuzzer (schemathesis) from the served document against a
real kiosk to hold the two equal. The service ids are this station's, read
from the config in force when the document is asked for.
"""

from __future__ import annotations

import copy
from typing import Any

IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]{1,100}$",
                   "description": "1 to 100 visible ASCII characters (no spaces), e.g. a UUID"}

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                   "opens_at": {"type": ["string", "null"], "description": "error closed: when the service takes "
                                "numbers again (RFC 3339; null: not within a year)"}},
}

HEALTH = {
    "type": "object",
    "required": ["status", "station", "version", "hardware"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "station": {"type": "string"},
        "version": {"type": "string"},
        "hardware": {
            "type": "object",
            "properties": {
                "printer": {"type": "string", "enum": ["ok", "paper_low", "paper_out", "offline", "unknown"]},
                "card_reader": {"type": "string", "enum": ["ok", "offline", "unknown"]},
                "lockers": {"type": "object", "additionalProperties": {"type": ["string", "null"],
                                                                       "enum": ["open", "closed", None]}},
            },
        },
        "database": {"type": "object", "properties": {
            "schema": {"type": "integer"}, "outbox_depth": {"type": "integer"},
            "writable": {"type": "boolean",
                         "description": "false while another process holds the write lock (status: degraded)"}}},
    },
}

TICKET_REQUEST = {
    "type": "object", "required": ["service"], "additionalProperties": False,
    "properties": {"service": {"type": "string", "description": "one of this station's service ids"},
                   "priority": {"type": "boolean", "default": False,
                                "description": "elderly, disabled, pregnant: called earlier by the priority rule"},
                   "language": {"type": "string", "enum": ["zh", "bo", "en"], "default": "zh",
                                "description": "the resident's language: the ticket is printed in Chinese "
                                               "and, when not zh, in this language too (Tibetan as images)"}},
}

TICKET = {
    "type": "object",
    "required": ["id", "number", "service", "position", "estimated_wait_s", "printed", "print_fault"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "number": {"type": "string", "examples": ["A001"]},
        "service": {"type": "string"},
        "priority": {"type": "boolean"},
        "position": {"type": "integer", "description": "1 = next to be called; 0 = already called"},
        "estimated_wait_s": {"type": "integer"},
        "printed": {"type": "string", "enum": ["queued", "sending", "printed", "failed"],
                    "description": "the state of the ticket's print job. The answer comes as soon as the ticket "
                                   "is committed, so a new ticket is usually `queued`; the kiosk's print worker "
                                   "then sends it (`sending`) and it ends `printed` or `failed`. Follow it with "
                                   "GET /api/v1/tickets/{id}. A failed job is never printed later by itself "
                                   "(staff reprint it on purpose)."},
        "print_fault": {"type": ["string", "null"],
                        "enum": ["paper_out", "offline", "stale", "interrupted", "error", "never_sent", None],
                        "description": "why printing failed: no paper, printer offline, waited over 2 minutes "
                                       "(stale), cut off by a kiosk crash while it was being sent (interrupted: "
                                       "it may be half printed), another printer error, or no job at all; "
                                       "null unless `printed` is failed"},
    },
}

QUEUE = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "format": "date"},
        "services": {"type": "array", "items": {"type": "object", "properties": {
            "service": {"type": "string"},
            "waiting": {"type": "integer"},
            "now_serving": {"type": "array", "items": {"type": "object", "properties": {
                "ticket_id": {"type": "string"}, "number": {"type": "string"},
                "counter": {"type": "string"}, "state": {"type": "string", "enum": ["called", "serving"]}}}},
            "last_called": {"type": "array", "items": {"type": "string"}},
        }}},
    },
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    if headers:
        response["headers"] = headers
    return response


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
BUSY = _error('another process holds the station database (error "busy"): try again later', RETRY_AFTER)
TICKET_ERRORS = {
    "400": _error('the body is not a JSON object (error "bad_json"; nested too deep counts as not JSON)'),
    "404": _error('no such service here (error "unknown_service")'),
    "409": _error('the service takes no numbers now (error "closed", with opens_at)'),
    "413": _error("the body is larger than 64 KB"),
    "415": _error('the body is not sent as application/json (error "not_json")'),
    "422": _error('a field breaks TicketRequest or the Idempotency-Key its pattern ("unknown_field", "bad_service", '
                  '"bad_priority", "bad_language", "bad_idempotency_key"), or the key was already used with another '
                  'body ("key_reused"): nothing is issued'),
    "503": BUSY,
}


def document(version: str, services: list[str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document; `services` (this station's ids) become the enum of a ticket's service."""
    schemas = {"Error": ERROR, "Health": HEALTH, "TicketRequest": copy.deepcopy(TICKET_REQUEST), "Ticket": TICKET,
               "Queue": QUEUE}
    if services:
        schemas["TicketRequest"]["properties"]["service"]["enum"] = list(services)
    return {
        "openapi": "3.1.0",
        "info": {"title": "vstation kiosk API", "version": version,
                 "description": "Served on 127.0.0.1 only. Errors are always JSON {error, message}; a method a "
                                "path does not serve is answered 405 with Allow."},
        "paths": {
            "/api/v1/health": {"get": {
                "summary": "Station and device health",
                "responses": {"200": _json("the station is serving", "Health")}}},
            "/api/v1/tickets": {"post": {
                "summary": "Take a queue number; the ticket is queued for printing and answered at once",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": IDEMPOTENCY_KEY,
                                "description": "the same key with the same body returns the same ticket (200) "
                                               "instead of a new one; with another body it is refused (422)"}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/TicketRequest"}}}},
                "responses": {"201": _json("ticket issued", "Ticket"),
                              "200": _json("the ticket issued earlier for this Idempotency-Key", "Ticket"),
                              **TICKET_ERRORS}}},
            "/api/v1/tickets/{id}": {"get": {
                "summary": "A ticket now: its place in line and how its printing went",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "responses": {"200": _json("the ticket", "Ticket"),
                              "404": _error('no such ticket (error "not_found")')}}},
            "/api/v1/queue": {"get": {
                "summary": "The queue per service",
                "responses": {"200": _json("today's queue", "Queue")}}},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": schemas},
    }
