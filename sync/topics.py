"""The topic names of the district contract (docs/mqtt.md): every station's topics under `vstation/v1/{station}/`.

Pure names, with nothing of MQTT itself, so the district's side (signing a
command, the hub) uses the very same ones as the station's agent.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "vstation/v1"


@dataclass(frozen=True)
class Topics:
    """The station's topics under `vstation/v1/{station}/` (docs/mqtt.md)."""
    station: str

    def topic(self, leaf: str) -> str:
        return f"{PREFIX}/{self.station}/{leaf}"

    @property
    def status(self) -> str:
        return self.topic("status")

    @property
    def telemetry(self) -> str:
        return self.topic("telemetry")

    @property
    def events(self) -> str:
        return self.topic("events")

    @property
    def events_ack(self) -> str:
        return self.topic("events/ack")
