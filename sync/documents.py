"""Receiving the district's retained documents: `config`, `roster`, `catalog`, `notices`.

Only the face: the payload is capped before it is read, decoded, its schema
version and JSON shape checked against sync/schemas.py, and then handed to
the core (kiosk/district/documents.py), which applies it in one transaction if it is
newer and passes the station's rules. Whatever is wrong is reported as a
`config.rejected` event and a log line; nothing of the station changes.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from kiosk.config import Config
from kiosk.district import documents

from . import schemas

log = logging.getLogger("sync.documents")

KINDS = tuple(schemas.DOCUMENTS)


@dataclass(frozen=True)
class Checked:
    """A document read against the contract: `value` when it passes, else the refusal's code and reasons."""
    value: dict[str, Any] | None
    version: int | None
    code: str | None = None
    reasons: tuple[str, ...] = ()


def check(doc: str, payload: bytes) -> Checked:
    """Size, JSON, schema version and shape of one non-empty payload of topic `doc` (pure: the fleet's
    station twins check with it too)."""
    try:
        value = schemas.decode(payload, limit=schemas.MAX_DOCUMENT_BYTES)
    except schemas.BadPayload as exc:           # too large (unread), not JSON, nested too deep
        return Checked(None, None, exc.code, (str(exc),))
    version = _version(value)
    schema_version = value.get("schema") if isinstance(value, dict) else None
    if isinstance(value, dict) and "schema" in value and schema_version not in schemas.DOCUMENT_SCHEMA_VERSIONS:
        return Checked(None, version, "unknown_schema", (
            f"unknown schema version {str(schema_version)[:40]} (this station reads "
            f"{', '.join(map(str, schemas.DOCUMENT_SCHEMA_VERSIONS))})",))
    problems = schemas.errors(schemas.DOCUMENTS[doc], value)
    if problems:
        return Checked(None, version, "invalid", tuple(problems))
    return Checked(value, version)


class Documents:
    """Hands each document the district publishes to the core; one instance per agent."""

    def __init__(self, conn: sqlite3.Connection, config: Config) -> None:
        self.conn = conn
        self.config = config

    def receive(self, doc: str, payload: bytes) -> documents.Outcome | None:
        """Check one payload of topic `doc` and apply or reject it; None for an empty (cleared) retained one."""
        if not payload:
            log.info("district cleared its retained %s; the applied one stays in force", doc)
            return None
        checked = check(doc, payload)
        if checked.value is None:
            return documents.reject(self.conn, doc, checked.version, list(checked.reasons), code=checked.code)
        effective, _ = documents.effective_config(self.conn, self.config)
        return documents.apply(self.conn, doc, checked.value, sha256=documents.digest(payload),
                               new_member_points=effective.points.new_member,
                               timezone=effective.station.timezone)


def _version(value: Any) -> int | None:
    """The document's version if it has a usable one (for the report of a rejected document)."""
    version = value.get("version") if isinstance(value, dict) else None
    usable = isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= schemas.MAX_INT
    return version if usable else None
