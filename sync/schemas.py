"""JSON schemas of the MQTT payloads (docs/mqtt.md), and the validator that applies them.

These dictionaries are the one source: the code validates what the district
sends with them, the tests check what the station sends against them (every
event's `data` too: sync/event_schemas.py), and a test holds
docs/asyncapi.yaml equal to them. The validator is sync/validation.py.
"""

from __future__ import annotations

from typing import Any

from . import validation
from .event_schemas import EVENT_DATA
from .validation import BadPayload, decode, errors  # noqa: F401  (the contract's one validator, re-exported)

MAX_INBOUND_BYTES = 64 * 1024     # an events/ack larger than this is refused unread (documents: 1 MB, commands: 8 KB)
MAX_INT = 2**63 - 1               # the largest integer the station stores (SQLite INTEGER): versions, seqs, epochs

TIMESTAMP = {"type": "string", "description": "RFC 3339 time the payload was written"}
NULLABLE_NUMBER = {"type": ["number", "null"]}
EPOCH = {"type": "integer", "minimum": 1, "maximum": MAX_INT,
         "description": "the station's history this belongs to: Unix ms when it began; a larger one after a restore. "
                        "Always sent by this station; absent from stations older than epochs (read it as 0)"}

ACK: dict[str, Any] = {
    "type": "object",
    "description": "The district has every event up to (epoch, upto_seq) in (epoch, seq) order; the station "
                   "forgets them. Without epoch: the station's current epoch.",
    "properties": {
        "upto_seq": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
        "epoch": EPOCH,
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
        "epoch": EPOCH,
        "epoch_first_seq": {"type": "integer", "minimum": 1, "maximum": MAX_INT,
                            "description": "the seq the current epoch's first event has or will have"},
        "ts": TIMESTAMP,
    },
    "required": ["online"],
    "additionalProperties": False,
}

EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "uuid: the district de-duplicates by it"},
        "seq": {"type": "integer", "minimum": 1,
                "description": "+1 per event of the station's database; (epoch, seq) is unique and grows for ever"},
        "epoch": EPOCH,
        "type": {"type": "string", "description": "its data's schema is Data.<type>, one for each type the station "
                                                  "writes (a newer station may add types: keep what you do not know)"},
        "ts": TIMESTAMP,
        "data": {"type": "object"},
    },
    "required": ["id", "seq", "type", "ts", "data"],        # epoch: always sent; absent only from older stations
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
            "last_seq": {"type": "integer", "minimum": 0, "description": "the last seq written, forgotten or not"},
            "epoch": EPOCH,
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

DOCUMENT_SCHEMA_VERSIONS = (1,)   # what `schema` in a district document may say; anything else is refused
MAX_DOCUMENT_BYTES = 1024 * 1024  # a bigger config/roster/catalog/notices payload is refused unread

LOCALIZED: dict[str, Any] = {
    "type": "object", "description": "A text shown to people: zh required, bo and en optional",
    "properties": {"zh": {"type": "string", "minLength": 1, "maxLength": 2000},
                   "bo": {"type": "string", "minLength": 1, "maxLength": 2000},
                   "en": {"type": "string", "minLength": 1, "maxLength": 2000}},
    "required": ["zh"], "additionalProperties": False,
}


def _document(description: str, body: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A district document: `version`, `schema`, `ts` and its own fields."""
    return {
        "type": "object", "description": description,
        "properties": {
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_INT,
                        "description": "applied only if greater than the applied one"},
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT,
                       "description": "the document format; this station reads 1 and refuses any other"},
            "ts": TIMESTAMP,
            **body,
        },
        "required": ["version", "schema", *required],
        "additionalProperties": False,
    }


CONFIG_DOC = _document(
    "The district-owned sections of station.toml as JSON; those present replace the file's, read by the "
    "same code (so the same keys, defaults and limits apply).",
    {"settings": {"type": "object", "description": "services (array), queue, guide, points, help (objects); the "
                                                   "calendar is queue.hours/week/exceptions and the same per service",
                  "properties": {"services": {"type": "array", "maxItems": 26, "items": {"type": "object"}},
                                 "queue": {"type": "object"}, "guide": {"type": "object"},
                                 "points": {"type": "object"}, "help": {"type": "object"}},
                  "additionalProperties": False}},
    ["settings"])

ROSTER_DOC = _document(
    "The station's complete roster: members not listed are deactivated (history kept).",
    {"members": {"type": "array", "minItems": 1, "maxItems": 20000, "items": {
        "type": "object",
        "properties": {
            "member_id": {"type": "string", "minLength": 1, "maxLength": 32},
            "card_uid": {"type": ["string", "null"], "maxLength": 20},
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "role": {"type": "string", "enum": ["member", "volunteer", "staff"]},
            "grid": {"type": "string", "maxLength": 64},
            "balance": {"type": ["integer", "null"], "minimum": -9999999, "maximum": 9999999,
                        "description": "the district's balance; null or absent: a new member gets the seed points"},
        },
        "required": ["member_id", "name", "role"], "additionalProperties": False}},
     "as_of_seq": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                   "description": "the station's outbox seq (current epoch) the balances include; default: the "
                                  "acknowledged seq; beyond the last seq the station wrote: refused"}},
    ["members"])

CATALOG_DOC = _document(
    "The points supermarket's goods: goods not listed are taken off offer; stock stays the station's.",
    {"goods": {"type": "array", "maxItems": 1000, "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 32},
            "name": LOCALIZED,
            "price": {"type": "integer", "minimum": 1, "maximum": 100000, "description": "points"},
            "limit_qty": {"type": "integer", "minimum": 0, "maximum": 99,
                          "description": "at most this many per member and period; 0: no limit"},
            "limit_period": {"type": "string", "enum": ["day", "week", "month"]},
            "picture": {"type": "string", "maxLength": 200},
            "active": {"type": "boolean"},
        },
        "required": ["id", "name", "price"], "additionalProperties": False}}},
    ["goods"])

NOTICES_DOC = _document(
    "Notices for the idle screen, each shown from valid_from until valid_until.",
    {"notices": {"type": "array", "maxItems": 50, "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 64},
            "title": LOCALIZED,
            "body": LOCALIZED,
            "valid_from": {"type": "string", "description": "RFC 3339 with offset"},
            "valid_until": {"type": "string", "description": "RFC 3339 with offset, after valid_from"},
        },
        "required": ["id", "title", "body", "valid_from", "valid_until"], "additionalProperties": False}}},
    ["notices"])

DOCUMENTS: dict[str, dict[str, Any]] = {"config": CONFIG_DOC, "roster": ROSTER_DOC, "catalog": CATALOG_DOC,
                                        "notices": NOTICES_DOC}

MAX_COMMAND_BYTES = 8 * 1024

SIGNED_COMMAND: dict[str, Any] = {
    "type": "object",
    "description": "What the district publishes on cmd/{id}: the command as JSON text, and the HMAC-SHA256 "
                   "(lower-case hex) of that text's UTF-8 bytes under the station's command key.",
    "properties": {
        "command": {"type": "string", "minLength": 2, "maxLength": 6000},
        "hmac": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "required": ["command", "hmac"],
    "additionalProperties": False,
}

COMMAND: dict[str, Any] = {
    "type": "object",
    "description": "The signed command (the JSON text inside `command`).",
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "equals {id} of the topic"},
        "station": {"type": "string", "description": "the station id: a command for another station is refused"},
        "name": {"type": "string", "maxLength": 64, "description": "one of the allowlist"},
        "args": {"type": "object"},
        "nonce": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$",
                  "description": "never used before; kept by the station until expires"},
        "ts": TIMESTAMP,
        "expires": {"type": "string", "description": "RFC 3339; at most 24 h after ts"},
    },
    "required": ["id", "station", "name", "args", "nonce", "ts", "expires"],
    "additionalProperties": False,
}

# `code` of a command result, by status (docs/mqtt.md has what each means); done has none (null).
REFUSED_CODES = ["too_large", "no_key", "not_signed", "bad_signature", "malformed", "bad_id", "id_mismatch",
                 "wrong_station", "bad_time", "expired", "too_long_lived", "from_the_future", "not_allowed",
                 "bad_args", "replayed_nonce", "replayed_id", "expired_waiting"]
FAILED_CODES = ["interrupted", "no_executor", "error", "no_such_slot", "busy", "fault", "not_printed",
                "not_found", "unknown_member", "already_accepted", "already_done", "bad_points"]

COMMAND_RESULT: dict[str, Any] = {
    "type": "object",
    "description": "On cmd/{id}/result: what became of a command (refused commands were never executed).",
    "properties": {
        "id": {"type": "string", "description": "the {id} of the topic the command came on, whatever it was"},
        "name": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["done", "failed", "refused"]},
        "code": {"type": ["string", "null"], "enum": [*REFUSED_CODES, *FAILED_CODES, None],
                 "description": "why it was refused or failed, for machines; null when done"},
        "reason": {"type": ["string", "null"], "description": "the same in words, for people"},
        "result": {"type": "object"},
        "ts": TIMESTAMP,
    },
    "required": ["id", "name", "status", "reason", "result", "ts"],      # code: always sent; older stations lack it
    "additionalProperties": False,
}

NO_ARGS: dict[str, Any] = {"type": "object", "additionalProperties": False}

# The allowlist: command name → its args. Where each runs: sync/commands.py (RUNS_IN).
COMMAND_ARGS: dict[str, dict[str, Any]] = {
    "locker.open": {"type": "object", "properties": {
        "slot": {"type": "string", "minLength": 1, "maxLength": 16},
        "reason": {"type": "string", "minLength": 1, "maxLength": 200}},
        "required": ["slot", "reason"], "additionalProperties": False},
    "printer.test": NO_ARGS,
    "queue.reset_day": NO_ARGS,
    "request.dispatch": {"type": "object", "properties": {
        "request_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "member_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "points": {"type": "integer", "minimum": 0, "maximum": 100},
        "note": {"type": "string", "maxLength": 200}},
        "required": ["request_id", "member_id", "points"], "additionalProperties": False},
    "events.replay": {"type": "object", "properties": {
        "from_seq": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        "epoch": {**EPOCH, "description": "the epoch from_seq counts in (default: the current one)"}},
        "required": ["from_seq"], "additionalProperties": False},
    "config.resend": NO_ARGS,
    "diagnostics": NO_ARGS,
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Ack": ACK, "Status": STATUS, "Events": EVENTS, "Telemetry": TELEMETRY,
    "ConfigDoc": CONFIG_DOC, "RosterDoc": ROSTER_DOC, "CatalogDoc": CATALOG_DOC, "NoticesDoc": NOTICES_DOC,
    "SignedCommand": SIGNED_COMMAND, "Command": COMMAND, "CommandResult": COMMAND_RESULT,
    **{f"Args.{name}": schema for name, schema in COMMAND_ARGS.items()},
    **{f"Data.{name}": schema for name, schema in sorted({**EVENT_DATA, "command.result": COMMAND_RESULT}.items())},
}


def parse(schema: dict[str, Any], payload: bytes, *, limit: int = MAX_INBOUND_BYTES) -> Any:
    """Decode a payload from the district and check it (sync/validation.py); raise BadPayload saying why not."""
    return validation.parse(schema, payload, limit=limit)


def parse_ack(payload: bytes) -> tuple[int, int | None]:
    """(upto_seq, epoch or None) of a valid events/ack payload (raise BadPayload otherwise)."""
    ack = parse(ACK, payload)
    return int(ack["upto_seq"]), (int(ack["epoch"]) if "epoch" in ack else None)


