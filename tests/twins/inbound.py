"""What the district sends a twin, handled as a station does: documents and signed commands.

Documents are checked by the station's own `sync.documents.check` (size,
JSON, schema version, shape), then applied in memory by the station's
version rule (same version and bytes: silent; not newer: stale) and
reported as `config.applied` with the summary a station gives, or
`config.rejected` with the code and reasons. Commands are verified by
`sync.commands.verify` (signature, expiry, station, allowlist, args), their
nonce and id refused when seen before, and answered with the station's
result message (kiosk.district.inbox.result_message) on `cmd/{id}/result`
and as a `command.result` event.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Callable

from kiosk.base.clock import now_rfc3339
from kiosk.district.inbox import result_message
from sync import commands
from sync.documents import check

from .activity import SLOTS
from .backlog import MemoryBacklog

Replay = Callable[[dict[str, Any]], dict[str, Any]]


class Documents:
    """The documents applied by one twin (kind → version, sha256, applied_at)."""

    def __init__(self, backlog: MemoryBacklog) -> None:
        self.backlog = backlog
        self.applied: dict[str, dict[str, Any]] = {}
        self.members: set[str] = set()

    def receive(self, doc: str, payload: bytes) -> None:
        if not payload:
            return                                   # a cleared retained topic: the applied one stays
        checked = check(doc, payload)
        sha = hashlib.sha256(payload).hexdigest()
        before = self.applied.get(doc)
        if checked.value is None:
            self._rejected(doc, checked.version, checked.code or "invalid", list(checked.reasons))
        elif before and before["version"] == checked.version and before["sha256"] == sha:
            return                                   # the retained copy again after a reconnect
        elif before and checked.version <= before["version"]:
            self._rejected(doc, checked.version, "stale",
                           [f"version {checked.version} is not newer than the applied {before['version']}"])
        else:
            summary = self._summary(doc, checked.value)
            self.applied[doc] = {"version": checked.version, "sha256": sha, "applied_at": now_rfc3339()}
            self.backlog.append("config.applied", {"doc": doc, "version": checked.version, "summary": summary})

    def _rejected(self, doc: str, version: int | None, code: str, reasons: list[str]) -> None:
        self.backlog.append("config.rejected", {"doc": doc, "version": version, "code": code,
                                                "reasons": [r[:300] for r in reasons[:20]]})

    def _summary(self, doc: str, value: dict[str, Any]) -> dict[str, Any]:
        """The summary a station reports per kind (sync/event_schemas.py SUMMARIES)."""
        if doc == "config":
            return {"sections": sorted(value["settings"])}
        if doc == "roster":
            listed = {m["member_id"] for m in value["members"]}
            summary = {"added": len(listed - self.members), "updated": len(listed & self.members)}
            self.members |= listed
            return {**summary, "inactive": len(self.members - listed)}
        if doc == "catalog":
            return {"goods": len(value["goods"]), "on_offer": sum(1 for g in value["goods"] if g.get("active", True))}
        return {"notices": len(value["notices"])}

    def resend(self) -> dict[str, dict[str, Any]]:
        """`config.resend`: every applied document reported again."""
        for doc, info in self.applied.items():
            self.backlog.append("config.applied", {"doc": doc, "version": info["version"],
                                                   "summary": {"resent": True, "sha256": info["sha256"]}})
        return dict(self.applied)


class Commands:
    """Verifies and answers the district's commands for one twin; results wait in `unsent` until published."""

    def __init__(self, station: str, key: bytes | None, backlog: MemoryBacklog, sync_actions: dict[str, Replay]):
        self.station, self.key, self.backlog = station, key, backlog
        self.sync_actions = sync_actions
        self.nonces: set[str] = set()
        self.ids: set[str] = set()
        self.unsent: list[dict[str, Any]] = []

    def receive(self, payload: bytes, topic: str) -> dict[str, Any]:
        topic_id = topic.rsplit("/", 1)[-1]
        try:
            command, nonce = commands.verify(payload, key=self.key, station=self.station, topic_id=topic_id,
                                             now=datetime.now(timezone.utc))
            if nonce in self.nonces:
                raise commands.Refused("replayed_nonce", "replayed: this nonce was already used", command.name)
            if command.id in self.ids:
                raise commands.Refused("replayed_id", "replayed: this command id was already used", command.name)
        except commands.Refused as refused:
            message = result_message(topic_id, refused.name, "refused", refused.reason, code=refused.code)
        else:
            self.nonces.add(nonce)
            self.ids.add(command.id)
            status, result, code = self._run(command.name, command.args)
            message = result_message(command.id, command.name, status, None if status == "done" else code,
                                     result, code=code)
        self.backlog.append("command.result", message)
        self.unsent.append(message)
        return message

    def _run(self, name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
        """(status, result, code): the sync's own commands for real, the kiosk's as a station with
        a working printer, the demo's free slots and no help request would answer."""
        if name in self.sync_actions:
            return "done", self.sync_actions[name](args), None
        if name == "printer.test":
            return "done", {"printed": True, "printer": "ok", "outcome": "printed"}, None
        if name == "locker.open":
            if args["slot"] in SLOTS:
                return "done", {"slot": args["slot"], "outcome": "opened"}, None
            return "failed", {"slot": args["slot"], "outcome": "no_such_slot"}, "no_such_slot"
        if name == "queue.reset_day":
            return "done", {"ended": 0, "numbers": []}, None
        return "failed", {"request_id": args["request_id"], "outcome": "not_found"}, "not_found"
