-- +goose Up
-- Resources stored as protobuf JSON documents (kit/docstore), with the
-- values List methods filter on indexed as facets.
CREATE TABLE documents (
    name        TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    parent      TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    create_time TEXT    NOT NULL,
    update_time TEXT    NOT NULL,
    data        TEXT    NOT NULL
);
CREATE INDEX documents_list ON documents (kind, parent, name);

CREATE TABLE document_facets (
    kind  TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    name  TEXT NOT NULL REFERENCES documents (name) ON DELETE CASCADE,
    PRIMARY KEY (kind, field, value, name)
);
CREATE INDEX document_facets_name ON document_facets (name);

-- +goose Down
DROP TABLE document_facets;
DROP TABLE documents;
