-- Staff duty (值班): a staff member taps their card at the start of duty and at its end.
-- The guide shows who is on duty; the report adds duty hours; staff.on_duty / staff.off_duty go
-- to the district in the transaction that records the tap.
CREATE TABLE duty (
    id          TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES members(id),
    day         TEXT NOT NULL,                   -- the local day the duty began (station.timezone)
    started_at  TEXT NOT NULL,
    ended_at    TEXT,                            -- NULL: on duty now
    auto        INTEGER NOT NULL DEFAULT 0       -- 1: ended by the station at closing (no off-duty tap)
);
CREATE INDEX duty_day ON duty (day, started_at);
CREATE INDEX duty_open ON duty (member_id) WHERE ended_at IS NULL;
