-- Several writers on one database: a version on every record (the sequence number of its last
-- write), a change log written in the same transaction as the records, names unique per kind
-- and account, and a rank for records merged by maximum.

-- Records written before this migration are at version 0, before any logged write.
ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- The entity's name folded as IAM compares names, for kinds whose names are unique in an
-- account; NULL for other kinds.
ALTER TABLE records ADD COLUMN name TEXT;

-- For records merged by maximum: a write replaces the record only with a higher rank.
ALTER TABLE records ADD COLUMN rank INTEGER;

-- The names of the records already stored. IAM names are ASCII, which lower() folds as Warden
-- does.
UPDATE records SET name = lower(json_extract(body, '$.name'))
    WHERE kind IN ('user', 'group', 'role', 'policy', 'instance-profile');

CREATE UNIQUE INDEX records_name ON records (kind, account, name) WHERE name IS NOT NULL;

-- Every committed write, in order. AUTOINCREMENT keeps sequence numbers growing even after
-- the log is cleared or compacted. A NULL body is a delete.
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    account TEXT NOT NULL,
    name    TEXT,
    body    TEXT CHECK (body IS NULL OR json_valid(body))
) STRICT;
