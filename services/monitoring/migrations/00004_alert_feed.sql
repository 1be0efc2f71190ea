-- +goose Up
-- The alert feed: one row per alert ever raised, in the order raised.
-- spec: monitoring.md "Early warning"; issue 8 (an alert is raised once per
-- condition and period, survives a restart, and reaches a watcher that
-- connects later).
--
-- The alerts themselves are documents (contracts/{c}/alerts/{a}); this
-- table holds what documents cannot: a unique key that makes a second
-- raise of the same condition of the same level in the same period
-- impossible on either database even when two requests race, and a
-- gap-free sequence that WatchAlerts resumes from (seq is MAX + 1 within
-- the raising transaction, so a concurrent raise fails on the primary key
-- and is retried: commit order is seq order).
CREATE TABLE alert_feed (
    seq               BIGINT NOT NULL PRIMARY KEY,
    contract          TEXT   NOT NULL,
    period            TEXT   NOT NULL,
    service_level_key TEXT   NOT NULL,
    alert_condition   TEXT   NOT NULL,
    alert             TEXT   NOT NULL,
    create_time       TEXT   NOT NULL
);

CREATE UNIQUE INDEX alert_feed_once ON alert_feed (contract, period, service_level_key, alert_condition);
CREATE INDEX alert_feed_contract ON alert_feed (contract, seq);

-- +goose Down
DROP TABLE alert_feed;
