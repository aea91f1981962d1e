-- The language the resident took the ticket in (zh, bo or en): a reprint at the counter
-- prints it in Chinese and in that language again, as the first slip was. Tickets taken
-- before it count as Chinese: a reprint of one of those is in Chinese only.
ALTER TABLE tickets ADD COLUMN language TEXT NOT NULL DEFAULT 'zh';
