-- +goose Up
CREATE TABLE audit_events (
    sequence      INTEGER PRIMARY KEY,
    time          TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    roles         TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    request_id    TEXT    NOT NULL,
    before_json   TEXT    NOT NULL,
    after_json    TEXT    NOT NULL,
    previous_hash TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_events_resource ON audit_events (resource, sequence);

-- The head row serialises appends: every writer updates it first, so the
-- chain never forks.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);
INSERT INTO audit_head (id, sequence, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

CREATE TABLE idempotency_keys (
    method       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     BLOB NOT NULL,
    create_time  TEXT NOT NULL,
    PRIMARY KEY (method, request_id)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE audit_head;
DROP TABLE audit_events;
