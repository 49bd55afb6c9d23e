-- Records: every persisted entity as a JSON body keyed by kind and id; and a small key/value
-- table for store-wide facts (for example master-key check values).

CREATE TABLE records (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    account TEXT NOT NULL,
    body    TEXT NOT NULL CHECK (json_valid(body)),
    PRIMARY KEY (kind, id)
) STRICT;

CREATE INDEX records_account ON records (account);

CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
