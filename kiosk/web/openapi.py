"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
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
        "database": {"type": "object", "properties": {"schema": {"type": "integer"},
                                                      "outbox_depth": {"type": "integer"}}},
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
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
        "components": {"schemas": {"Error": ERROR, "Health": HEALTH}},
    }
