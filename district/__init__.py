"""The district hub (`vstation district`): the other end of the station's MQTT contract, with its console.

It speaks to stations only through MQTT (docs/mqtt.md); of the station's code it
shares only pure helpers: the topic names, the command signing and the payload
schemas (`sync.topics`, `sync.signing`, `sync.schemas`), the failover across a
cluster's nodes (`sync.rotation`), the typed TOML reader
(`kiosk.config.reader`) and the clock's RFC 3339 writer (`kiosk.base.clock`).
"""

__version__ = "0.1.0"
