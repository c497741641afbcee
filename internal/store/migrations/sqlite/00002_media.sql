-- Media: files referenced by the catalogue (product thumbnails, pictures,
-- leaflets), stored in the database so that every node serves them and a
-- backup of the database is a backup of the shop. SQLite flavour; the
-- postgres/ folder has the same version and names.
--
-- key is content-addressed: the first 16 hex digits of the SHA-256 of body,
-- "/", and the sanitised file name. A key never changes meaning, so
-- /media/{key} can be cached for ever, and storing the same file twice is a
-- no-op.

-- +goose Up

CREATE TABLE media (
    key          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0),
    body         BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

-- +goose Down

DROP TABLE media;
