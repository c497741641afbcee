-- One-time sign-in links (checkout rule C4). Only a SHA-256 hash of each
-- link's token is kept. The other engine's folder has the same version.

-- +goose Up
CREATE TABLE signin_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    email_norm   TEXT NOT NULL,
    lms_user_ref TEXT NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP NULL,
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT signin_tokens_hash_key UNIQUE (token_hash)
);

CREATE INDEX signin_tokens_email_idx ON signin_tokens (shop_id, email_norm, created_at);

-- +goose Down
DROP TABLE signin_tokens;
