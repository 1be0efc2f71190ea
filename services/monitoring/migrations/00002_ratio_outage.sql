-- +goose Up
-- What RATIO and AVAILABILITY measurements carry besides a value.
-- spec: monitoring.md "Metric definitions", "Measurements".
--
-- denominator is a RATIO measurement's exact decimal text ("1" when the
-- event gave none), NULL for other levels. outage_start and outage_end are
-- an AVAILABILITY measurement's outage [start, end) in Unix nanoseconds
-- (UTC), like event_time; NULL when it has none. Nullable columns added
-- one at a time: portable to SQLite and PostgreSQL, and every stored row
-- stays valid.
ALTER TABLE measurements ADD COLUMN denominator TEXT;
ALTER TABLE measurements ADD COLUMN outage_start BIGINT;
ALTER TABLE measurements ADD COLUMN outage_end BIGINT;

-- +goose Down
ALTER TABLE measurements DROP COLUMN outage_end;
ALTER TABLE measurements DROP COLUMN outage_start;
ALTER TABLE measurements DROP COLUMN denominator;
