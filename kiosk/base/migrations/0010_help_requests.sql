-- Help requests (群众点单、社区派单、党员接单). A resident asks at the screen; the
-- district dispatches the request to a member by a signed command; the member
-- accepts and finishes it at the station; the resident rates it.
-- The phone number stays at the station: events carry it masked, logs never.
CREATE TABLE help_requests (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,        -- what the resident keys in to follow up
    category        TEXT NOT NULL,
    details         TEXT NOT NULL DEFAULT '[]',  -- JSON list of preset detail ids
    preferred_time  TEXT NOT NULL,
    phone           TEXT NOT NULL,               -- shown in full only to the assigned member
    consent_at      TEXT NOT NULL,               -- the resident agreed to share it with that member
    lang            TEXT NOT NULL DEFAULT 'zh',
    state           TEXT NOT NULL DEFAULT 'open'
                    CHECK (state IN ('open', 'dispatched', 'accepted', 'done')),
    member_id       TEXT REFERENCES members(id), -- who it is dispatched to (NULL while open)
    points          INTEGER NOT NULL DEFAULT 0,  -- the district's points for finishing it
    note            TEXT NOT NULL DEFAULT '',    -- the dispatcher's note to the member
    outcome         TEXT,
    rating          INTEGER CHECK (rating BETWEEN 1 AND 5),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,               -- when the station last learned something of it
    idem_key        TEXT NOT NULL UNIQUE         -- a retried confirm creates one request
);
CREATE INDEX help_requests_member ON help_requests(member_id, state);

-- What happened to a request, in order: the resident's status timeline.
CREATE TABLE help_request_steps (
    id          INTEGER PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES help_requests(id),
    kind        TEXT NOT NULL,                   -- created, dispatched, accepted, handed_back, done, rated
    ts          TEXT NOT NULL,
    member_id   TEXT,
    detail      TEXT NOT NULL DEFAULT ''         -- outcome, hand-back reason, stars
);
CREATE INDEX help_request_steps_request ON help_request_steps(request_id, id);
