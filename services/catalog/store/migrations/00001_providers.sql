-- +goose Up
-- A provider is stored as its protobuf JSON document (data) plus the columns
-- the store queries by; facets index every value ListProviders filters on.
CREATE TABLE providers (
    id          TEXT   PRIMARY KEY,
    revision    BIGINT NOT NULL,
    create_time TEXT   NOT NULL,
    update_time TEXT   NOT NULL,
    data        TEXT   NOT NULL
);

CREATE TABLE provider_facets (
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, provider_id)
);
CREATE INDEX provider_facets_provider ON provider_facets (provider_id);

-- +goose Down
DROP TABLE provider_facets;
DROP TABLE providers;
