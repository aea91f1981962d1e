"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

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
    "properties": {"service": {"type": "string"}, "priority": {"type": "boolean", "default": False},
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


def document(version: str) -> dict[str, Any]:
    error_response = {"description": "bad request",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "vstation kiosk API", "version": version,
                 "description": "Served on 127.0.0.1 only. Errors are always JSON {error, message}."},
        "paths": {
            "/api/v1/health": {"get": {
                "summary": "Station and device health",
                "responses": {"200": {"description": "the station is serving",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/Health"}}}},
                              "4XX": error_response}}},
            "/api/v1/tickets": {"post": {
                "summary": "Take a queue number; the ticket is queued for printing and answered at once",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 100},
                                "description": "the same key with the same body returns the same ticket (200) "
                                               "instead of a new one; with another body it is refused (422)"}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/TicketRequest"}}}},
                "responses": {"201": {"description": "ticket issued", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ticket"}}}},
                              "200": {"description": "the ticket issued earlier for this Idempotency-Key",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/Ticket"}}}},
                              "422": {"description": "invalid input, or an Idempotency-Key already used with "
                                                     "another body (error \"key_reused\"): nothing is issued",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/Error"}}}},
                              "4XX": error_response}}},
            "/api/v1/tickets/{id}": {"get": {
                "summary": "A ticket now: its place in line and how its printing went",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "responses": {"200": {"description": "the ticket", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ticket"}}}},
                              "4XX": error_response}}},
            "/api/v1/queue": {"get": {
                "summary": "The queue per service",
                "responses": {"200": {"description": "today's queue", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Queue"}}}}}}},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
        "components": {"schemas": {"Error": ERROR, "Health": HEALTH, "TicketRequest": TICKET_REQUEST,
                                   "Ticket": TICKET, "Queue": QUEUE}},
    }
