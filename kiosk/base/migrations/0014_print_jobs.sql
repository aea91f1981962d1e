-- The print spooler (kiosk/printing/): every slip is a job, composed to its
-- ESC/POS bytes when it is asked for and sent by the kiosk's print worker.
-- A job is sent at most once by itself: a failed job (no paper, offline, too
-- old to be of use, or cut off by a crash while it was being sent) stays
-- failed; staff reprint it on purpose, as a new job that names the old one.
CREATE TABLE print_jobs (
    id             INTEGER PRIMARY KEY,              -- the order jobs are sent in
    what           TEXT NOT NULL,                    -- ticket | receipt | help_request | report | test_page
    ref            TEXT,                             -- the record it prints (ticket, redemption, request id)
    data           BLOB NOT NULL,                    -- the slip's bytes, as the printer gets them
    state          TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'printed', 'failed')),
    fault          TEXT,                             -- why it failed: paper_out | offline | stale | interrupted | error
    printer_state  TEXT,                             -- what the printer said after it (ok, paper_low, unknown, …)
    reprint_of     INTEGER REFERENCES print_jobs(id),
    by             TEXT,                             -- the staff member who asked for a reprint
    created_at     TEXT NOT NULL,
    started_at     TEXT,
    finished_at    TEXT
);
CREATE INDEX print_jobs_state ON print_jobs(state, id);
CREATE INDEX print_jobs_ref ON print_jobs(ref, id);
