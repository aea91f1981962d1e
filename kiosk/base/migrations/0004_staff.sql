-- Staff PINs: a slow salted hash (scrypt), never the PIN.
CREATE TABLE staff_pins (
    member_id  TEXT PRIMARY KEY REFERENCES members(id),
    pin_hash   TEXT NOT NULL,
    set_at     TEXT NOT NULL
);

-- Failed sign-ins per staff member: each failure past the third doubles the wait.
CREATE TABLE staff_attempts (
    member_id        TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    last_failure_at  TEXT NOT NULL
);
