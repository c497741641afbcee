-- Companies (rule C9): the users who manage an organisation customer
-- besides its owner, and the invitations that make them managers. The
-- owner is the customer's bound user (customers.lms_user_ref) and is not
-- repeated here, so the two can never disagree. The unused
-- customer_managers of 00001 is replaced. Only a SHA-256 hash of each
-- invitation's token is kept. The other engine's folder has the same
-- version.

-- +goose Up
DROP TABLE customer_managers;

CREATE TABLE customer_managers (
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    lms_user_ref TEXT NOT NULL,
    invited_by   TEXT NOT NULL, -- LMS user ref of the manager who invited them
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_id, lms_user_ref)
);

CREATE INDEX customer_managers_lms_user_ref_idx ON customer_managers (lms_user_ref);

CREATE TABLE customer_invitations (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    email_norm  TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    invited_by  TEXT NOT NULL, -- LMS user ref
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP NULL,
    accepted_by TEXT NULL, -- LMS user ref
    revoked_at  TIMESTAMP NULL,
    CONSTRAINT customer_invitations_hash_key UNIQUE (token_hash)
);

CREATE INDEX customer_invitations_customer_idx ON customer_invitations (customer_id, created_at);

-- +goose Down
DROP TABLE customer_invitations;
DROP TABLE customer_managers;

CREATE TABLE customer_managers (
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    lms_user_ref TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT 'manager' CHECK (role IN ('owner', 'manager')),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_id, lms_user_ref)
);

CREATE INDEX customer_managers_lms_user_ref_idx ON customer_managers (lms_user_ref);
