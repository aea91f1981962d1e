-- Lockers: one row per slot (its state survives a restart), every door
-- operation, and the loans (umbrella borrowed, phone left to charge).
CREATE TABLE locker_slots (
    id              TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL CHECK (purpose IN ('umbrella', 'charging')),
    state           TEXT NOT NULL DEFAULT 'free'
                    CHECK (state IN ('free', 'reserved', 'open', 'in_use', 'fault')),
    stocked         INTEGER NOT NULL DEFAULT 0,     -- umbrella slot: an umbrella is in it
    op_id           TEXT,                           -- the operation waiting on this door
    failures        INTEGER NOT NULL DEFAULT 0,     -- openings in a row that the door never confirmed
    door_open_since TEXT,                           -- door seen open (any reason), for the alarm
    alarm           INTEGER NOT NULL DEFAULT 0,     -- door left open too long
    updated_at      TEXT NOT NULL
);

CREATE TABLE locker_ops (
    id          TEXT PRIMARY KEY,
    slot_id     TEXT NOT NULL REFERENCES locker_slots(id),
    op          TEXT NOT NULL CHECK (op IN ('borrow', 'return', 'deposit', 'collect', 'staff')),
    member_id   TEXT,
    card_hash   TEXT,                 -- sha256 of the card UID: a phone is locked to the card, not stored raw
    loan_id     TEXT,                 -- collect / return: the loan it ends
    by          TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    back_to     TEXT NOT NULL,        -- the slot state if nothing happens
    started_at  TEXT NOT NULL,
    opened_at   TEXT,
    finished_at TEXT,
    outcome     TEXT                  -- done | not_opened | nothing_taken | nothing_left | still_inside
);
CREATE INDEX locker_ops_open ON locker_ops(slot_id) WHERE finished_at IS NULL;

CREATE TABLE loans (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('umbrella', 'charging')),
    slot_id     TEXT NOT NULL,
    member_id   TEXT,
    card_hash   TEXT,
    started_at  TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    ended_at    TEXT,
    end_slot    TEXT,
    ended_by    TEXT,
    overdue_at  TEXT
);
-- One umbrella per member at a time, and one phone per charging slot.
CREATE UNIQUE INDEX loans_one_umbrella ON loans(member_id) WHERE kind = 'umbrella' AND ended_at IS NULL;
CREATE UNIQUE INDEX loans_one_per_slot ON loans(slot_id) WHERE kind = 'charging' AND ended_at IS NULL;
CREATE INDEX loans_open ON loans(due_at) WHERE ended_at IS NULL;
