"""A message the hub publishes once the transaction that decided it has committed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    retain: bool = False
    command_id: str | None = None     # a command: marked sent once the broker took it
