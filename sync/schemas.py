"""JSON schemas of the MQTT payloads (DESIGN §4.4), and the small validator that applies them.

These dictionaries are the one source: the code validates what the district
sends with them, the tests check what the station sends against them, and a
test holds docs/asyncapi.yaml equal to them. The validator covers the subset
of JSON Schema used here (type, properties, required, additionalProperties,
items, enum, minimum, maxLength, minItems, maxItems).
"""

from __future__ import annotations

import json
from typing import Any

MAX_INBOUND_BYTES = 64 * 1024     # anything larger from the district is refused unread

TIMESTAMP = {"type": "string", "description": "RFC 3339 time the payload was written"}
NULLABLE_NUMBER = {"type": ["number", "null"]}

ACK: dict[str, Any] = {
    "type": "object",
    "description": "The district received every event up to upto_seq; the station may forget them.",
    "properties": {
        "upto_seq": {"type": "integer", "minimum": 0},
        "ts": TIMESTAMP,
    },
    "required": ["upto_seq"],
    "additionalProperties": True,
}

STATUS: dict[str, Any] = {
    "type": "object",
    "description": "Retained presence: birth on every connect, online false on shutdown or as last will.",
    "properties": {
        "online": {"type": "boolean"},
        "version": {"type": "string"},
        "started": TIMESTAMP,
        "session": {"type": "integer", "minimum": 1,
                    "description": "connections made so far; +1 on every (re)connect, kept across restarts"},
        "ts": TIMESTAMP,
    },
    "required": ["online"],
    "additionalProperties": False,
}

EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "uuid: the district de-duplicates by it"},
        "seq": {"type": "integer", "minimum": 1, "description": "+1 per event per station, forever"},
        "type": {"type": "string"},
        "ts": TIMESTAMP,
        "data": {"type": "object"},
    },
    "required": ["id", "seq", "type", "ts", "data"],
    "additionalProperties": False,
}

EVENTS: dict[str, Any] = {
    "type": "object",
    "description": "A pack of at most 100 events (and 256 KB) in seq order.",
    "properties": {
        "events": {"type": "array", "items": EVENT, "minItems": 1, "maxItems": 100},
        "ts": TIMESTAMP,
    },
    "required": ["events", "ts"],
    "additionalProperties": False,
}

TELEMETRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ts": TIMESTAMP,
        "uptime_s": {"type": "number", "description": "seconds since the sync process started"},
        "host": {"type": "object", "properties": {
            "uptime_s": NULLABLE_NUMBER,
            "cpu_temp_c": NULLABLE_NUMBER,
            "load": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
            "mem_total_kb": {"type": ["integer", "null"]},
            "mem_available_kb": {"type": ["integer", "null"]},
            "disk_free_bytes": {"type": ["integer", "null"]},
        }, "required": ["uptime_s", "cpu_temp_c", "load", "mem_total_kb", "mem_available_kb",
                        "disk_free_bytes"]},
        "printer": {"type": "string", "description": "ok | paper_low | paper_out | offline | unknown"},
        "reader": {"type": "string", "description": "ok | offline | unknown"},
        "lockers": {"type": "object", "description": "slot id → free | in_use | open | fault | unknown",
                    "additionalProperties": {"type": "string"}},
        "tickets_waiting": {"type": "integer", "minimum": 0},
        "outbox": {"type": "object", "properties": {
            "depth": {"type": "integer", "minimum": 0},
            "oldest_age_s": NULLABLE_NUMBER,
            "acked_seq": {"type": "integer", "minimum": 0},
            "last_seq": {"type": "integer", "minimum": 0},
        }, "required": ["depth", "oldest_age_s", "acked_seq", "last_seq"]},
        "sync": {"type": "object", "properties": {
            "session": {"type": "integer", "minimum": 0},
            "sent_seq": {"type": "integer", "minimum": 0},
            "delivered_seq": {"type": "integer", "minimum": 0},
            "inflight_packs": {"type": "integer", "minimum": 0},
            "last_error": {"type": ["string", "null"]},
        }, "required": ["session", "sent_seq", "delivered_seq", "inflight_packs", "last_error"]},
    },
    "required": ["ts", "uptime_s", "host", "printer", "reader", "lockers", "tickets_waiting", "outbox", "sync"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, dict[str, Any]] = {"Ack": ACK, "Status": STATUS, "Events": EVENTS, "Telemetry": TELEMETRY}


class BadPayload(ValueError):
    """A payload from the district that is not what the contract says (too big, not JSON, wrong shape)."""


def errors(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as 'where: what' lines (empty when it conforms)."""
    types = schema.get("type")
    if types is not None and not any(_is(t, value) for t in ([types] if isinstance(types, str) else types)):
        return [f"{where}: expected {types}, found {_kind(value)}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: expected one of {schema['enum']}, found {value!r}")
    if "minimum" in schema and _is("number", value) and value < schema["minimum"]:
        found.append(f"{where}: expected at least {schema['minimum']}, found {value!r}")
    if "maxLength" in schema and isinstance(value, str) and len(value) > schema["maxLength"]:
        found.append(f"{where}: longer than {schema['maxLength']} characters")
    if isinstance(value, list):
        found += _array_errors(schema, value, where)
    if isinstance(value, dict):
        found += _object_errors(schema, value, where)
    return found


def _array_errors(schema: dict[str, Any], value: list[Any], where: str) -> list[str]:
    found = []
    if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
        found.append(f"{where}: {len(value)} items, expected {schema.get('minItems', 0)} to "
                     f"{schema.get('maxItems', 'any')}")
    if "items" in schema:
        for i, item in enumerate(value):
            found += errors(schema["items"], item, f"{where}[{i}]")
    return found


def _object_errors(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    found = [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += errors(properties[name], item, f"{where}.{name}")
        elif extra is False:
            found.append(f"{where}: unexpected {name!r}")
        elif isinstance(extra, dict):
            found += errors(extra, item, f"{where}.{name}")
    return found


def _is(kind: str, value: Any) -> bool:
    """JSON Schema type test; a bool is never a number, and 3.0 counts as an integer."""
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and value not in (float("inf"), float("-inf"))
    return {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}[kind] is type(value)


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            int: "integer", float: "number"}.get(type(value), type(value).__name__)


def parse(schema: dict[str, Any], payload: bytes) -> Any:
    """Decode a payload from the district and check it; raise BadPayload saying why not."""
    if len(payload) > MAX_INBOUND_BYTES:
        raise BadPayload(f"{len(payload)} bytes, more than the {MAX_INBOUND_BYTES} allowed")
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload(f"not UTF-8 JSON ({exc})") from None
    problems = errors(schema, value)
    if problems:
        raise BadPayload("; ".join(problems[:5]))
    return value


def parse_ack(payload: bytes) -> int:
    """The `upto_seq` of a valid events/ack payload (raise BadPayload otherwise)."""
    return int(parse(ACK, payload)["upto_seq"])
