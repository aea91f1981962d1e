-- Device states written by the kiosk process (it owns the hardware) and read
-- by the sync process for telemetry. One row per device ("printer", "reader",
-- "locker.U1", …); the kiosk rewrites a row on every change and at least once
-- per telemetry interval, so a stale row means the kiosk stopped reporting.
CREATE TABLE device_state (
    name        TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    updated_at  TEXT NOT NULL                     -- RFC 3339 UTC
);

-- The sync process's own counters. `session` is the number of connections to
-- the district broker so far: the retained birth carries it, so the district
-- sees every reconnect, across restarts.
CREATE TABLE sync_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    session  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_state (id, session) VALUES (1, 0);
