-- +goose Up
-- Per-level summaries maintained as measurements arrive, so that a period
-- holding millions of measurements is evaluated from a few hundred rows.
-- spec: monitoring.md "Scale"; issue 8 (speed). What a summary holds and
-- how one is read is in services/monitoring/store/rollup.go.
--
-- One row summarises the measurements of one level (service_level_key)
-- whose event times fall in one unit of time [unit_start, unit_end), in
-- Unix nanoseconds: grain 'day' is a day of the contract's service time
-- zone, grain 'month' a calendar month of it (every measurement is
-- summarised in both: a monthly window reads its month, a weekly one its
-- days). part 0 is
-- the unit's merged summary; every stored batch adds a row of its own
-- (part > 0, random), and once a unit has enough of them they are merged
-- into part 0. first_time and last_time bound the event times summarised.
-- value_sum and den_sum are exact decimal text; value_counts is the value
-- histogram as text ("12*3 12.5 7*2"), NULL when too many distinct values
-- were measured to keep it.
--
-- part -1 marks a unit whose measurements were stored before summaries
-- were kept: exact = 0, and its measurements are read row by row.
CREATE TABLE measurement_rollups (
    contract          TEXT   NOT NULL,
    service_level_key TEXT   NOT NULL,
    grain             TEXT   NOT NULL,
    unit_start        BIGINT NOT NULL,
    unit_end          BIGINT NOT NULL,
    part              BIGINT NOT NULL,
    exact             INTEGER NOT NULL,
    first_time        BIGINT NOT NULL,
    last_time         BIGINT NOT NULL,
    n                 BIGINT NOT NULL,
    outages           BIGINT NOT NULL,
    value_sum         TEXT   NOT NULL,
    den_sum           TEXT   NOT NULL,
    value_counts      TEXT,
    PRIMARY KEY (contract, service_level_key, grain, unit_start, part)
);

-- Measurements stored before this migration: markers, so that no
-- evaluation trusts a summary that leaves them out. One per level and UTC
-- day, and one per level spanning all of them at the month grain (it
-- overlaps every month it touches, which sends those months' evaluations
-- to the days).
INSERT INTO measurement_rollups (contract, service_level_key, grain, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
SELECT contract, service_level_key, 'day', (event_time / 86400000000000) * 86400000000000, (event_time / 86400000000000) * 86400000000000 + 86400000000000,
       -1, 0, MIN(event_time), MAX(event_time), COUNT(*), 0, '0', '0', NULL
FROM measurements
GROUP BY contract, service_level_key, (event_time / 86400000000000) * 86400000000000;

INSERT INTO measurement_rollups (contract, service_level_key, grain, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
SELECT contract, service_level_key, 'month', MIN(event_time), MAX(event_time) + 1, -1, 0, MIN(event_time), MAX(event_time), COUNT(*), 0, '0', '0', NULL
FROM measurements
GROUP BY contract, service_level_key;

-- AVAILABILITY's outages are read by the stretch they cover, whenever they
-- were reported: a small index over the few rows that carry one.
CREATE INDEX measurements_outages ON measurements (contract, service_level_key, outage_start) WHERE outage_start IS NOT NULL;

-- +goose Down
DROP INDEX measurements_outages;
DROP TABLE measurement_rollups;
