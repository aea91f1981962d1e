-- The points ledger: append-only. A balance is the district's snapshot plus
-- this station's entries whose event came after the snapshot; never a stored
-- number alone. Corrections are new entries.
CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY,
    entry_id    TEXT NOT NULL UNIQUE,
    member_id   TEXT NOT NULL REFERENCES members(id),
    amount      INTEGER NOT NULL CHECK (amount <> 0),
    reason      TEXT NOT NULL,          -- seed, volunteer_hours, adjust:<item>, redemption, void, correction
    source      TEXT NOT NULL,          -- station | district
    idem_key    TEXT NOT NULL UNIQUE,   -- the same key twice is one entry
    author      TEXT NOT NULL,          -- staff id, or "system"
    note        TEXT NOT NULL DEFAULT '',
    ts          TEXT NOT NULL,
    event_seq   INTEGER NOT NULL        -- the outbox seq of its points.entry event
);
CREATE INDEX ledger_member ON ledger(member_id, id);

-- The district's balance of a member, as of the station's outbox seq it had seen.
CREATE TABLE balance_snapshots (
    member_id    TEXT PRIMARY KEY REFERENCES members(id),
    balance      INTEGER NOT NULL,
    as_of_seq    INTEGER NOT NULL,
    received_at  TEXT NOT NULL
);

-- Check-in to check-out at the station: volunteer time that becomes points.
CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL REFERENCES members(id),
    day             TEXT NOT NULL,       -- local date of the check-in
    checked_in_at   TEXT NOT NULL,
    checked_out_at  TEXT,
    minutes         INTEGER,
    points          INTEGER,
    auto            INTEGER NOT NULL DEFAULT 0   -- checked out at closing time, hours capped
);
CREATE UNIQUE INDEX visits_one_open ON visits(member_id) WHERE checked_out_at IS NULL;
CREATE INDEX visits_member_day ON visits(member_id, day);
