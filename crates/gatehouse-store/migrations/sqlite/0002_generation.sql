-- A counter bumped by every write. Writers say which generation they checked their change
-- against; a write against an older generation is refused, so two writers never combine
-- changes that were never checked together.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY NOT NULL,
    value  INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('generation', 0);
