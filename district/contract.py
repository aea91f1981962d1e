"""What the hub reads from stations, checked against the contract's schemas (sync/schemas.py).

Topic names come from `sync.topics`; payload shapes from `sync.schemas`. The
station's epoch (docs/mqtt.md, "epoch") is read where it is present: an event
or birth without one belongs to epoch 0, the history of a station from before
epochs existed, so older stations keep working.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from sync import schemas
from sync.topics import PREFIX

STATION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
COMMAND_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: what a station publishes, and so what the hub subscribes to
UPSTREAM = ("status", "telemetry", "events", "cmd/+/result")
LEGACY_EPOCH = 0


def _with_epoch(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The contract's schema, accepting the epoch fields whether or not sync/schemas.py lists them yet."""
    schema = copy.deepcopy(schema)
    for name, spec in extra.items():
        schema["properties"].setdefault(name, spec)
    return schema


EPOCH = {"type": "integer", "minimum": 0}
EVENT = _with_epoch(schemas.EVENT, {"epoch": EPOCH})
EVENTS = {**copy.deepcopy(schemas.EVENTS), "properties": {**schemas.EVENTS["properties"],
                                                           "events": {**schemas.EVENTS["properties"]["events"],
                                                                      "items": EVENT}}}
STATUS = _with_epoch(schemas.STATUS, {"epoch": EPOCH, "epoch_first_seq": {"type": "integer", "minimum": 1}})


Unreadable = schemas.BadPayload   # too big, not UTF-8 JSON, or not the contract's shape


@dataclass(frozen=True)
class Address:
    """Where a message arrived: the station its topic names and the leaf (status, events, cmd result…)."""
    station: str
    leaf: str
    command_id: str | None = None


def address(topic: str) -> Address | None:
    """The station and leaf of an upstream topic; None for a topic that is not one of the contract's."""
    parts = topic.split("/")
    if "/".join(parts[:2]) != PREFIX or len(parts) < 4 or not STATION_ID.fullmatch(parts[2]):
        return None
    station, leaf = parts[2], "/".join(parts[3:])
    if leaf in ("status", "telemetry", "events"):
        return Address(station, leaf)
    if len(parts) == 6 and parts[3] == "cmd" and parts[5] == "result" and COMMAND_ID.fullmatch(parts[4]):
        return Address(station, "result", parts[4])
    return None


def read(schema: dict[str, Any], payload: bytes, limit: int) -> Any:
    """Decode and check one payload (size first: a payload over `limit` is never decoded)."""
    return schemas.parse(schema, payload, limit=limit)


def epoch_of(item: dict[str, Any]) -> int:
    return int(item.get("epoch", LEGACY_EPOCH))


def ack(upto_seq: int, epoch: int) -> bytes:
    """The events/ack payload: every event up to (epoch, upto_seq) is stored."""
    body: dict[str, Any] = {"upto_seq": upto_seq}
    if epoch != LEGACY_EPOCH:
        body["epoch"] = epoch
    return json.dumps(body, separators=(",", ":")).encode()
