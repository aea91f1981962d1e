-- Goods of the points supermarket; prices always come from here, never from a form.
CREATE TABLE goods (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL CHECK (json_valid(name)),   -- {"zh": …, "bo": …, "en": …}
    price    INTEGER NOT NULL CHECK (price > 0),
    active   INTEGER NOT NULL DEFAULT 1
);

-- Stock is derived from moves (received, counted, sold, voided), never stored alone.
CREATE TABLE stock_moves (
    id        INTEGER PRIMARY KEY,
    goods_id  TEXT NOT NULL REFERENCES goods(id),
    delta     INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    ts        TEXT NOT NULL
);
CREATE INDEX stock_moves_goods ON stock_moves(goods_id);
