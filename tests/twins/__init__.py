"""Light station twins: thousands of stations in one process, each speaking the district contract.

A twin is what `vstation sync` is to the district, without a station behind
it: its events live in memory (`backlog.MemoryBacklog`) instead of SQLite,
and it runs the station's own pure parts: the drain of sync/drain.py (packs,
the send window, re-sends until `events/ack`), the birth, goodbye and will
of sync/presence.py, the telemetry payload of sync/telemetry.py, the
document checks of sync/documents.py, command verification of
sync/commands.py and the result messages of kiosk/district/inbox.py.
`fleet.Fleet` runs many twins on one selector loop over their paho clients
(paho's external-loop socket callbacks), one thread for all of them.
"""
