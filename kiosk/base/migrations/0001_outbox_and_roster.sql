-- The outbox: every business change writes its event here in the same
-- transaction. AUTOINCREMENT keeps seq from ever being reused, even after the
-- district acknowledged and the rows were forgotten.
CREATE TABLE events (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    id    TEXT NOT NULL UNIQUE,
    type  TEXT NOT NULL,
    ts    TEXT NOT NULL,
    data  TEXT NOT NULL CHECK (json_valid(data))
);

-- The highest seq the district acknowledged (events/ack).
CREATE TABLE outbox_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_state (id, acked_seq) VALUES (1, 0);

-- Members known to this station (roster from the district or a CSV import).
CREATE TABLE members (
    id           TEXT PRIMARY KEY,
    card_uid     TEXT UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('member', 'volunteer', 'staff')),
    grid         TEXT NOT NULL DEFAULT '',
    base_points  INTEGER NOT NULL DEFAULT 10,
    active       INTEGER NOT NULL DEFAULT 1
);
