-- +goose Up
-- Documents are stored as binary protobuf (body), which keeps the data of
-- fields a build does not know instead of dropping it; encoding says which
-- form a row holds (rows written before are protojson in data, until
-- docstore.Prepare rewrites them) and type which message it is.
ALTER TABLE documents ADD COLUMN encoding TEXT NOT NULL DEFAULT 'protojson';
ALTER TABLE documents ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN body BYTEA;

-- The facet set each collection's facets were built with (its filter
-- schema's fingerprint): when the code declares another, docstore.Prepare
-- rebuilds the facets of every document of the collection.
CREATE TABLE document_collections (
    pattern TEXT PRIMARY KEY,
    facets  TEXT NOT NULL
);

-- +goose Down
DROP TABLE document_collections;
ALTER TABLE documents DROP COLUMN body;
ALTER TABLE documents DROP COLUMN type;
ALTER TABLE documents DROP COLUMN encoding;
