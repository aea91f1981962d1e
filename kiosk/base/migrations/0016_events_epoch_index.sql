-- An acknowledgement of an older epoch (after a restore) looks up where that epoch's
-- events begin and end; the index makes that two lookups instead of a walk through the
-- restored backlog for every ack.
CREATE INDEX events_epoch ON events(epoch, seq);
