-- What the district sends down (issue 7 part B).

-- The applied version of each district document (config, roster, catalog,
-- notices): the last good one stays in force until a newer valid one comes.
CREATE TABLE documents (
    kind        TEXT PRIMARY KEY CHECK (kind IN ('config', 'roster', 'catalog', 'notices')),
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),   -- the document as applied
    sha256      TEXT NOT NULL,                             -- of the payload bytes, to tell a re-delivery
    applied_at  TEXT NOT NULL
);

-- Nonces of accepted commands, kept until the command expires: a replay is refused.
CREATE TABLE command_nonces (
    nonce       TEXT PRIMARY KEY,
    command_id  TEXT NOT NULL,
    expires     TEXT NOT NULL
);
CREATE INDEX command_nonces_expires ON command_nonces(expires);

-- Accepted commands: the sync process inserts, the process that runs them
-- (runs_in: kiosk for hardware, sync for its own) finishes them with a
-- result and a command.result event; the sync process publishes the result.
CREATE TABLE inbox (
    id           TEXT PRIMARY KEY,                  -- the command id of cmd/{id}
    name         TEXT NOT NULL,
    args         TEXT NOT NULL CHECK (json_valid(args)),
    runs_in      TEXT NOT NULL CHECK (runs_in IN ('kiosk', 'sync')),
    expires      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
    status       TEXT CHECK (status IN ('done', 'failed', 'refused')),
    result       TEXT CHECK (result IS NULL OR json_valid(result)),
    received_at  TEXT NOT NULL,
    finished_at  TEXT,
    published    INTEGER NOT NULL DEFAULT 0          -- the result went out on cmd/{id}/result
);
CREATE INDEX inbox_pending ON inbox(runs_in, state);
CREATE INDEX inbox_unpublished ON inbox(state, published);
