-- The points supermarket. Prices and limits come from here (the district's
-- catalogue), never from a form; stock is the sum of its moves.
ALTER TABLE goods ADD COLUMN picture TEXT NOT NULL DEFAULT '';
ALTER TABLE goods ADD COLUMN limit_qty INTEGER NOT NULL DEFAULT 0;          -- 0: no limit
ALTER TABLE goods ADD COLUMN limit_period TEXT NOT NULL DEFAULT 'month'
    CHECK (limit_period IN ('day', 'week', 'month'));
ALTER TABLE stock_moves ADD COLUMN author TEXT NOT NULL DEFAULT 'system';
ALTER TABLE stock_moves ADD COLUMN redemption_id TEXT;

CREATE TABLE redemptions (
    id           TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members(id),
    staff_id     TEXT NOT NULL,
    total        INTEGER NOT NULL CHECK (total > 0),
    ts           TEXT NOT NULL,
    day          TEXT NOT NULL,                  -- local date: a void is allowed the same day only
    idem_key     TEXT NOT NULL UNIQUE,           -- a retried confirm applies once
    voided_at    TEXT,
    voided_by    TEXT,
    void_reason  TEXT
);
CREATE INDEX redemptions_member ON redemptions(member_id, ts);

CREATE TABLE redemption_items (
    redemption_id  TEXT NOT NULL REFERENCES redemptions(id),
    goods_id       TEXT NOT NULL REFERENCES goods(id),
    qty            INTEGER NOT NULL CHECK (qty > 0),
    unit_price     INTEGER NOT NULL CHECK (unit_price > 0),
    PRIMARY KEY (redemption_id, goods_id)
);
