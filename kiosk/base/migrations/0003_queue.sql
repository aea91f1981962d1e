-- Queue tickets. Numbers are per service per local day; `sort_at` is the
-- calling order (a priority ticket counts as taken earlier) and survives a
-- transfer, so a transferred resident keeps their place in time.
CREATE TABLE tickets (
    id           TEXT PRIMARY KEY,
    service      TEXT NOT NULL,                 -- the queue it is in now (a transfer changes it)
    drawn_from   TEXT NOT NULL,                 -- the service whose number it carries
    day          TEXT NOT NULL,                 -- local date in the station's timezone
    seqno        INTEGER NOT NULL,
    number       TEXT NOT NULL,                 -- "A001"
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')),
    issued_at    TEXT NOT NULL,                 -- RFC 3339 UTC, fixed width: sorts as text
    sort_at      TEXT NOT NULL,
    counter      TEXT,
    calls        INTEGER NOT NULL DEFAULT 0,
    called_at    TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    printed      INTEGER NOT NULL DEFAULT 0,
    request_key  TEXT UNIQUE,                   -- one ticket per button press, however often it arrives
    rating       INTEGER CHECK (rating BETWEEN 1 AND 5),
    rated_at     TEXT,
    UNIQUE (drawn_from, day, seqno)
);
CREATE INDEX tickets_waiting ON tickets(day, state, sort_at);
CREATE INDEX tickets_finished ON tickets(service, finished_at);

-- The last number given per service and day: a restart never reuses a number.
CREATE TABLE ticket_numbers (
    service  TEXT NOT NULL,
    day      TEXT NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (service, day)
);
