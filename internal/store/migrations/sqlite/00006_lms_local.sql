-- The built-in LMS connector's password links and course templates. SQLite
-- flavour; the postgres/ folder has the same version and names.
--
-- lms_password_tokens: the links PasswordSetURL hands out so that the owner
-- of an account the shop created sets a password. Only a SHA-256 hash of
-- each link's token is kept; a link works once, until expires_at.
--
-- lms_courses.template_id: the course whose content a course was created
-- from. No foreign key: it records where a course came from, which stays
-- true after the template is deleted.

-- +goose Up

CREATE TABLE lms_password_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES lms_users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT lms_password_tokens_hash_key UNIQUE (token_hash)
);

CREATE INDEX lms_password_tokens_user_id_idx ON lms_password_tokens (user_id);

ALTER TABLE lms_courses ADD COLUMN template_id INTEGER NULL;

-- +goose Down

ALTER TABLE lms_courses DROP COLUMN template_id;
DROP TABLE lms_password_tokens;
