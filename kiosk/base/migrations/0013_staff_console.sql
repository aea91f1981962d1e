-- Phones, tablets and desk PCs paired with the station for the staff console (HTTPS on the LAN).
CREATE TABLE staff_devices (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,                -- SHA-256 of the device token in its cookie
    paired_by   TEXT NOT NULL,
    paired_at   TEXT NOT NULL,
    seen_at     TEXT,
    revoked_at  TEXT,
    revoked_by  TEXT
);

-- Staff sessions kept by the station, so that signing out, idling, a PIN change or a revoked device
-- ends them at once (a copied cookie opens nothing). Only a SHA-256 of the session token is kept.
CREATE TABLE staff_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    member_id   TEXT NOT NULL REFERENCES members(id),
    device_id   TEXT REFERENCES staff_devices(id),   -- NULL: signed in at the residents' screen
    counter     TEXT,                                -- the counter this session works, once it opened one
    started_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    ended_at    TEXT,
    end_reason  TEXT                                 -- signed_out | idle | left | pin_changed | device_revoked
);
CREATE INDEX staff_sessions_open ON staff_sessions (member_id) WHERE ended_at IS NULL;

-- One-time pairing codes shown by a signed-in staff member (6 digits and a QR code, two minutes).
CREATE TABLE pairing_codes (
    code_hash   TEXT PRIMARY KEY,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    wrong_tries INTEGER NOT NULL DEFAULT 0,          -- wrong codes typed while this one was open
    used_at     TEXT,
    device_id   TEXT
);

-- Counters paused or closed by their staff (no row: open). Calls skip a counter that is not open.
CREATE TABLE counter_states (
    counter  TEXT PRIMARY KEY,
    state    TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
    since    TEXT NOT NULL,
    by       TEXT NOT NULL
);
