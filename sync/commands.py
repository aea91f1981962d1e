"""Signed commands from the district on `cmd/{id}`: verified here, run by whoever owns what they touch.

Checks, in order, each refusal reported on `cmd/{id}/result` (the topic it
came on, whatever its id) and as a `command.result` event with a `code`, the
command never run: the topic's id, the key is configured, size (≤ 8 KB,
unread beyond), the envelope shape, the HMAC-SHA256 over the exact command
text (`hmac.compare_digest`), the command's shape, its id equal to the
topic's, its station this one, not expired, living at most 24 h, not dated
in the future, on the allowlist with valid args, and finally nonce and id
never seen (kept in the database until expiry). Accepted commands go into the inbox:
hardware ones are run by the kiosk process (kiosk/district/commands.py), the sync
process's own (`events.replay`, `config.resend`, `diagnostics`) here at once.
Results are published as they are finished.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from kiosk.base.clock import rfc3339
from kiosk.config import MqttSettings
from kiosk.district import inbox
from kiosk.district.kinds import parse_time

from . import schemas, signing

log = logging.getLogger("sync.commands")

MAX_LIFETIME = timedelta(hours=24)       # nonces are kept until expiry: this bounds how many
FUTURE_SKEW = timedelta(minutes=5)       # a command's ts may be this far ahead of the station's clock

# where each command on the allowlist (schemas.COMMAND_ARGS) runs: the kiosk owns the hardware
RUNS_IN: dict[str, str] = {
    "locker.open": "kiosk", "printer.test": "kiosk", "queue.reset_day": "kiosk", "request.dispatch": "kiosk",
    "events.replay": "sync", "config.resend": "sync", "diagnostics": "sync",
}

Action = Callable[[dict[str, Any]], dict[str, Any]]
Publish = Callable[[str, bytes], bool]            # (topic, payload) → handed to the broker


COMMAND_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
MAX_TOPIC_BYTES = 65535                  # MQTT's limit on a topic name


class Refused(Exception):
    """A command that will not run: the reason the district is told, and its code (schemas.REFUSED_CODES)."""

    def __init__(self, code: str, reason: str, name: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.name = code, reason, name


def load_key(settings: MqttSettings) -> bytes | None:
    """The station's command key, or None (every command is then refused) with a log line saying why."""
    if not settings.command_key_file:
        log.warning("no mqtt.command_key_file: district commands will be refused")
        return None
    try:
        return signing.read_key(settings.command_key_file)
    except (OSError, ValueError) as exc:
        log.error("mqtt.command_key_file %s cannot be used (%s): district commands will be refused",
                  settings.command_key_file, getattr(exc, "strerror", None) or exc)
        return None


def verify(payload: bytes, *, key: bytes | None, station: str, topic_id: str,
           now: datetime | None = None) -> tuple[inbox.Command, str]:
    """The command and its nonce if every check passes; raise Refused with the first reason otherwise."""
    now = now or datetime.now(timezone.utc)
    if not COMMAND_ID.fullmatch(topic_id):
        raise Refused("bad_id", f"the topic's command id is not 1 to 64 of A-Z a-z 0-9 _ - "
                                f"({len(topic_id)} characters)")
    if key is None:
        raise Refused("no_key", "this station has no command key (mqtt.command_key_file)")
    try:
        wrapper = schemas.parse(schemas.SIGNED_COMMAND, payload, limit=schemas.MAX_COMMAND_BYTES)
    except schemas.BadPayload as exc:
        raise Refused("too_large" if exc.code == "too_large" else "not_signed", f"not a signed command: {exc}") \
            from None
    text = wrapper["command"].encode("utf-8")
    if not hmac.compare_digest(signing.mac(key, text), wrapper["hmac"]):
        raise Refused("bad_signature", "bad signature")
    try:
        cmd = schemas.parse(schemas.COMMAND, text, limit=schemas.MAX_COMMAND_BYTES)
    except schemas.BadPayload as exc:
        raise Refused("malformed", f"malformed command: {exc}") from None
    return _checked(cmd, station=station, topic_id=topic_id, now=now)


def _checked(cmd: dict[str, Any], *, station: str, topic_id: str, now: datetime) -> tuple[inbox.Command, str]:
    """The signed command's own checks: its id, station, times and args."""
    name = cmd["name"]
    if cmd["id"] != topic_id:
        raise Refused("id_mismatch", f"command id {cmd['id']!r} is not the topic's {topic_id!r}", name)
    if cmd["station"] != station:
        raise Refused("wrong_station", f"meant for station {cmd['station'][:64]!r}", name)
    ts, expires = parse_time(cmd["ts"]), parse_time(cmd["expires"])
    if ts is None or expires is None:
        raise Refused("bad_time", "ts and expires must be RFC 3339 times with an offset", name)
    if expires <= now:
        raise Refused("expired", f"expired at {rfc3339(expires)}", name)
    if expires - ts > MAX_LIFETIME:
        raise Refused("too_long_lived", f"expires {expires - ts} after ts: more than 24 h", name)
    if ts > now + FUTURE_SKEW:
        raise Refused("from_the_future", f"ts {rfc3339(ts)} is more than 5 min ahead of the station's clock", name)
    if name not in schemas.COMMAND_ARGS or name not in RUNS_IN:
        raise Refused("not_allowed", f"{name!r} is not on this station's list of commands", name)
    problems = schemas.errors(schemas.COMMAND_ARGS[name], cmd["args"], "args")
    if problems:
        raise Refused("bad_args", "bad args: " + "; ".join(problems[:5]), name)
    return inbox.Command(cmd["id"], name, cmd["args"], RUNS_IN[name], rfc3339(expires)), cmd["nonce"]


class Commands:
    """The `cmd/+` handler of one agent, and the publisher of finished results."""

    def __init__(self, conn: sqlite3.Connection, station: str, key: bytes | None, publish: Publish,
                 actions: dict[str, Action]) -> None:
        self.conn, self.station, self.key = conn, station, key
        self.publish = publish
        self.actions = actions

    def receive(self, payload: bytes, topic: str) -> dict[str, Any] | None:
        """One message on cmd/{id}: refuse it, or queue it (and run it here when it is the sync's)."""
        topic_id = topic.rsplit("/", 1)[-1]     # whole: a refusal is answered on the topic the command came on
        try:
            command, nonce = verify(payload, key=self.key, station=self.station, topic_id=topic_id)
            replayed = inbox.accept(self.conn, command, nonce)
            if replayed:
                raise Refused(*replayed, command.name)
        except Refused as refused:
            log.warning("refused district command %s (%s): %s", topic_id[:64], refused.name or "?", refused.reason)
            message = inbox.refused(self.conn, topic_id, refused.name, refused.reason, code=refused.code)
            self._send(message)
            return message
        log.info("district command %s (%s) accepted, runs in the %s", command.id, command.name, command.runs_in)
        if command.runs_in == "sync":
            self._run_here(command)
        self.flush()
        return None

    def _run_here(self, command: inbox.Command) -> None:
        claimed = inbox.claim(self.conn, "sync")
        while claimed is not None:
            try:
                result = self.actions[claimed.name](claimed.args)
                inbox.finish(self.conn, claimed, "done", result)
            except Exception as exc:          # a bug in an action: reported, not retried
                log.exception("district command %s (%s) failed", claimed.id, claimed.name)
                inbox.finish(self.conn, claimed, "failed", {}, reason=f"{type(exc).__name__}: {exc}"[:300],
                             code="error")
            claimed = inbox.claim(self.conn, "sync")

    def flush(self) -> int:
        """Publish every finished result not yet sent (the kiosk's too); how many went."""
        sent = 0
        for message in inbox.unpublished(self.conn):
            if not self._send(message):
                break
            inbox.mark_published(self.conn, message["id"])
            sent += 1
        return sent

    def _send(self, message: dict[str, Any]) -> bool:
        topic = f"{signing.topic(self.station, message['id'])}/result"
        if len(topic.encode("utf-8")) > MAX_TOPIC_BYTES:      # an id so long its result topic cannot exist
            log.warning("the result of command %s… has no topic (over %d bytes); it stays an event only",
                        message["id"][:64], MAX_TOPIC_BYTES)
            return True
        return self.publish(topic, json.dumps(message, ensure_ascii=False).encode("utf-8"))
