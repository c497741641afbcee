-- Lifecycle of product instances and of the LMS accounts the shop created
-- (rule C8). SQLite flavour; the postgres/ folder has the same version and
-- names.
--
-- shop_lms_accounts: the LMS accounts production created (buyers,
-- participants, seat learners), recorded as soon as the LMS created them,
-- so that the daily lifecycle pass suspends these, and only these, once
-- their trainings are over. Accounts the shop found in the LMS are never
-- recorded, so never touched.
-- user_ref: the account's id in the LMS, as text (customers.lms_user_ref).
-- customer_id, role: whom it was made for: buyer (the customer's own
-- account, suspended when they have their data erased) or learner (made
-- for one of the customer's orders or seats); written once, when the
-- account is created, and never changes meaning.
-- active_since: when the account was created or last given something (a
-- purchase, a seat): the grace period runs from the later of it and the
-- end of the account's last product.
-- suspended_at: set while the shop holds the account suspended; production
-- reactivates only accounts the shop suspended (an account an LMS
-- administrator suspended stays so).

-- +goose Up

CREATE TABLE shop_lms_accounts (
    user_ref     TEXT PRIMARY KEY CHECK (user_ref <> ''),
    customer_id  INTEGER NULL REFERENCES customers (id) ON DELETE SET NULL,
    role         TEXT NOT NULL DEFAULT 'learner' CHECK (role IN ('buyer', 'learner')),
    created_at   TIMESTAMP NOT NULL,
    active_since TIMESTAMP NOT NULL,
    suspended_at TIMESTAMP NULL
);

CREATE INDEX shop_lms_accounts_active_since_idx ON shop_lms_accounts (active_since);
CREATE INDEX shop_lms_accounts_customer_id_idx ON shop_lms_accounts (customer_id);

-- The lifecycle pass finds instances by their dates: the states it moves
-- (state, end_at), the enrolments ending soon and the products still
-- running (end_at).
CREATE INDEX product_instances_state_end_at_idx ON product_instances (state, end_at);
CREATE INDEX product_instances_end_at_idx ON product_instances (end_at);

-- +goose Down

DROP INDEX product_instances_end_at_idx;
DROP INDEX product_instances_state_end_at_idx;
DROP TABLE shop_lms_accounts;
