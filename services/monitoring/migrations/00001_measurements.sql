-- +goose Up
-- Raw measurements, the hot path of monitoring: millions per contract and
-- month, so they live in their own table rather than as documents.
-- spec: monitoring.md "Measurements", "Scale".
--
-- event_time is Unix time in nanoseconds (UTC): integer comparison is the
-- same on both dialects, whatever the database's collation. value is the
-- measurement's exact decimal text; evaluation parses it into an exact
-- rational and never sums floats.
CREATE TABLE measurements (
    contract          TEXT   NOT NULL,
    service_level_key TEXT   NOT NULL,
    event_id          TEXT   NOT NULL,
    event_time        BIGINT NOT NULL,
    value             TEXT   NOT NULL,
    create_time       TEXT   NOT NULL,
    PRIMARY KEY (contract, service_level_key, event_id)
);

-- A period's evaluation reads one level's values in a time range: the
-- index covers it (value included), so the table itself is not touched.
CREATE INDEX measurements_period ON measurements (contract, service_level_key, event_time, value);

-- +goose Down
DROP TABLE measurements;
