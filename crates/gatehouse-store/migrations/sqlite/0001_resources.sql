-- One row per resource. The path mirrors the management API (apis/echo-api/operations/x) and
-- the properties are the resource's JSON, as validated by gatehouse-model.
CREATE TABLE resources (
    path        TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    properties  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
