"""Signing a district command for one station (the district's side, and `vstation sign-command`).

The envelope (docs/mqtt.md, "Commands"): the command is JSON text; the
payload on `vstation/v1/{station}/cmd/{id}` is
`{"command": "<that text>", "hmac": "<hex HMAC-SHA256 of the text's UTF-8 bytes>"}`.
The HMAC covers exactly the bytes the station will parse, and the wrapper
needs nothing of MQTT 5, so it works on 3.1.1 brokers too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kiosk.base.clock import rfc3339

from .topics import Topics

MIN_KEY_BYTES = 16


def read_key(path: str | Path) -> bytes:
    """The station's command key: the file's bytes without trailing whitespace (`openssl rand -hex 32`)."""
    key = Path(path).read_bytes().rstrip()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path}: a command key has at least {MIN_KEY_BYTES} bytes, this one {len(key)}")
    return key


def mac(key: bytes, text: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of `text` under `key`."""
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def command(station: str, name: str, args: dict[str, Any] | None = None, *, lifetime_s: float = 300,
            command_id: str | None = None, nonce: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A fresh command: new id and nonce, `ts` now, `expires` after `lifetime_s`."""
    now = now or datetime.now(timezone.utc)
    return {"id": command_id or uuid.uuid4().hex, "station": station, "name": name, "args": args or {},
            "nonce": nonce or secrets.token_hex(16), "ts": rfc3339(now),
            "expires": rfc3339(now + timedelta(seconds=lifetime_s))}


def envelope(key: bytes, cmd: dict[str, Any]) -> bytes:
    """The signed payload to publish for `cmd`."""
    text = json.dumps(cmd, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"command": text, "hmac": mac(key, text.encode("utf-8"))},
                      ensure_ascii=False).encode("utf-8")


def topic(station: str, command_id: str) -> str:
    return Topics(station).topic(f"cmd/{command_id}")
