"""The district's documents (`config`, `roster`, `catalog`, `notices`): versioned, retained, per station or all.

A document is stored with the next version of its kind (one counter per kind,
whatever the target, so a station always sees versions grow) after its
payload passed the contract's schema (`sync.schemas.DOCUMENTS`). The
outbound loop publishes to each station, retained, the newest document
meant for it (its own or one for all), and records what it published in
`deliveries`; a station added later gets the current ones at its first
birth. The station's `config.applied` / `config.rejected` events, stored by
ingest, say per station which version is in force or why one was refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kiosk.base.clock import rfc3339
from sync import schemas
from sync.topics import Topics

from .db.engine import upsert_insert
from .db.schema import deliveries, documents, stations
from .errors import Refused
from .outgoing import Outgoing

KINDS = tuple(schemas.DOCUMENTS)
ALL = "*"
BODY_FIELD = {"config": "settings", "roster": "members", "catalog": "goods", "notices": "notices"}


@dataclass(frozen=True)
class Document:
    id: int
    kind: str
    target: str
    version: int
    body: dict[str, Any]
    created_at: datetime
    created_by: str


def publish(conn: Connection, kind: str, content: Any, *, target: str, by: str, now: datetime,
            extra: dict[str, Any] | None = None) -> Document:
    """Store `content` (the settings, members, goods or notices) as the next version of `kind` for `target`."""
    if kind not in KINDS:
        raise Refused(f"no document kind {kind!r}", [f"one of: {', '.join(KINDS)}"])
    if target != ALL and conn.execute(select(stations.c.id).where(
            stations.c.id == target, stations.c.removed_at.is_(None))).first() is None:
        raise Refused(f"no registered station {target!r}")
    version = (conn.execute(select(func.max(documents.c.version)).where(documents.c.kind == kind)).scalar() or 0) + 1
    body = {"version": version, "schema": schemas.DOCUMENT_SCHEMA_VERSIONS[-1], "ts": rfc3339(now),
            BODY_FIELD[kind]: content, **(extra or {})}
    problems = schemas.errors(schemas.DOCUMENTS[kind], body)
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if size > schemas.MAX_DOCUMENT_BYTES:
        problems.append(f"{size} bytes, more than the {schemas.MAX_DOCUMENT_BYTES} a station reads")
    if problems:
        raise Refused(f"this {kind} document does not follow the contract", problems[:20])
    doc_id = conn.execute(documents.insert().values(kind=kind, target=target, version=version, body=body,
                                                    created_at=now, created_by=by)
                          .returning(documents.c.id)).scalar_one()
    return Document(doc_id, kind, target, version, body, now, by)


def latest(conn: Connection, kind: str, target: str) -> Document | None:
    """The newest document of `kind` meant exactly for `target` (a station, or ALL)."""
    row = conn.execute(select(documents).where(documents.c.kind == kind, documents.c.target == target)
                       .order_by(documents.c.version.desc()).limit(1)).first()
    return _document(row) if row else None


def in_force_for(conn: Connection, kind: str, station: str) -> Document | None:
    """The newest document of `kind` a station should hold: its own or the one for all, whichever is newer."""
    row = conn.execute(select(documents).where(documents.c.kind == kind, documents.c.target.in_([station, ALL]))
                       .order_by(documents.c.version.desc()).limit(1)).first()
    return _document(row) if row else None


def history(conn: Connection, kind: str | None = None, limit: int = 50) -> list[Document]:
    query = select(documents).order_by(documents.c.id.desc()).limit(limit)
    if kind:
        query = query.where(documents.c.kind == kind)
    return [_document(r) for r in conn.execute(query)]


def _document(row: Any) -> Document:
    return Document(row.id, row.kind, row.target, row.version, row.body, row.created_at, row.created_by)


def due(conn: Connection, station: str | None = None) -> list[tuple[str, str, Outgoing]]:
    """(station, kind, message) for every station whose topic does not yet hold its newest document."""
    query = select(stations.c.id).where(stations.c.removed_at.is_(None))
    if station:
        query = query.where(stations.c.id == station)
    published = {(r.station_id, r.kind): r.published_version for r in conn.execute(select(deliveries))}
    newest: dict[tuple[str, str], Document] = {}
    heads = select(documents.c.kind, documents.c.target, func.max(documents.c.version).label("version")) \
        .group_by(documents.c.kind, documents.c.target).subquery()
    for row in conn.execute(select(documents).join(heads, (documents.c.kind == heads.c.kind)
                                                   & (documents.c.version == heads.c.version))):
        newest[(row.kind, row.target)] = _document(row)
    out = []
    for sid in conn.execute(query).scalars():
        for kind in KINDS:
            options = [d for d in (newest.get((kind, sid)), newest.get((kind, ALL))) if d]
            if not options:
                continue
            doc = max(options, key=lambda d: d.version)
            if (published.get((sid, kind)) or 0) < doc.version:
                payload = json.dumps(doc.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                out.append((sid, kind, Outgoing(Topics(sid).topic(kind), payload, retain=True)))
    return out


def mark_published(conn: Connection, station: str, kind: str, version: int, now: datetime) -> None:
    stmt = upsert_insert(conn, deliveries).values(station_id=station, kind=kind, published_version=version,
                                                  published_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=["station_id", "kind"],
                                            set_={"published_version": version, "published_at": now}))


def record_outcome(conn: Connection, station: str, event_type: str, data: dict[str, Any], now: datetime) -> None:
    """A station's `config.applied` or `config.rejected` event: which version it holds, or why it refused one."""
    kind, version = data.get("doc"), data.get("version")
    if kind not in KINDS:
        return
    if event_type == "config.applied":
        values = {"applied_version": version, "applied_at": now}
    else:
        values = {"rejected_version": version, "rejected_at": now, "reasons": list(data.get("reasons") or [])[:20]}
    stmt = upsert_insert(conn, deliveries).values(station_id=station, kind=kind, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["station_id", "kind"], set_=values))


def status(conn: Connection, station: str) -> dict[str, Any]:
    """Per kind: what was published to the station, what it applied, what it refused and why."""
    return {r.kind: r for r in conn.execute(select(deliveries).where(deliveries.c.station_id == station))}


def version_of(message: Outgoing) -> int:
    return int(json.loads(message.payload)["version"])
