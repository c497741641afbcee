-- The LMS accounts the shop created (production's ensureAccount: a buyer
-- without an account, a learner named for a seat), and for which
-- customer. Neither LMS says so reliably (Moodle keeps no such mark), and
-- what the shop created it may suspend: the customer's own account when
-- they have their data erased, learners' accounts when their trainings
-- are over (C8). SQLite flavour; the postgres/ folder has the same version
-- and names.
--
-- role: buyer (the customer's own account) or learner (made for one of
-- the customer's orders or seats). A row is written once, when the
-- account is created, and never changes meaning.

-- +goose Up
CREATE TABLE lms_accounts_created (
    lms_user_ref TEXT PRIMARY KEY,
    customer_id  INTEGER NULL REFERENCES customers (id) ON DELETE SET NULL,
    role         TEXT NOT NULL CHECK (role IN ('buyer', 'learner')),
    created_at   TIMESTAMP NOT NULL
);

CREATE INDEX lms_accounts_created_customer_id_idx ON lms_accounts_created (customer_id);

-- +goose Down
DROP TABLE lms_accounts_created;
