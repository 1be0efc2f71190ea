-- +goose Up
-- The audit key (kit/audit). The log is keyed from event keyed_from on,
-- with the key named key_id; key_seal, a MAC of both with that key, keeps
-- the marker from being moved or dropped unnoticed. Logs written before
-- keep 0 and '' until the server first starts with a key: their events
-- stay checkable as plain SHA-256. head_seal is the key's MAC of the head
-- (sequence and hash), so that rewinding the head to an earlier event is
-- detectable.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN key_seal TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN head_seal TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_head DROP COLUMN head_seal;
ALTER TABLE audit_head DROP COLUMN key_seal;
ALTER TABLE audit_head DROP COLUMN key_id;
ALTER TABLE audit_head DROP COLUMN keyed_from;
