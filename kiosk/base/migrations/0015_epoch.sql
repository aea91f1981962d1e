-- The station's epoch (docs/mqtt.md, "Epoch"): the Unix time in milliseconds at
-- which this history of the database began. A new database gets it now; one
-- made before epochs existed gets the moment of this migration. Only
-- `vstation restore` changes it (to a larger one), so the district can tell a
-- history that was rewound. epoch_first_seq is the seq of the epoch's first event.
ALTER TABLE outbox_state ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_state ADD COLUMN epoch_first_seq INTEGER NOT NULL DEFAULT 1;
UPDATE outbox_state SET epoch = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
                        epoch_first_seq = 1;

-- Each event remembers the epoch it was written in.
ALTER TABLE events ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
UPDATE events SET epoch = (SELECT epoch FROM outbox_state WHERE id = 1);
