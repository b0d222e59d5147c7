-- One row per resource, as in the embedded store: the path mirrors the management API and the
-- properties are the resource's JSON, validated by gatehouse-model before they get here.
CREATE TABLE resources (
    path        TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    properties  JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The configuration generation, bumped by every write (see the embedded store's migration).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY NOT NULL,
    value  BIGINT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('generation', 0);
