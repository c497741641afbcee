-- Each shop on its own Moodle site. SQLite flavour; the postgres/ folder has the same
-- version and names.
--
-- shops.moodle_url: the address of the shop's Moodle site when its
-- lms_connector is moodle; '' for the default site (--moodle-url). The
-- token is a secret and is never stored: it comes from the environment
-- (COURSESHOP_SHOP_<CODE>_MOODLE_TOKEN, see README).
-- shop_lms_accounts.shop_id: the shop whose LMS created the account, so
-- that the lifecycle pass suspends it on the right site; backfilled from
-- the customer the account was made for (NULL when there is none).
-- shop_lms_accounts.site: the platform the account is on, as its shop
-- named it when the account was created: "<lms_connector>:<moodle_url>"
-- ("local:", "moodle:" for the default site, "moodle:https://..."); ''
-- for records older than shops' sites. Account ids are only unique on one
-- platform, so the key is (site, user_ref).

-- +goose Up

ALTER TABLE shops ADD COLUMN moodle_url TEXT NOT NULL DEFAULT '';

CREATE TABLE shop_lms_accounts_sited (
    site         TEXT NOT NULL,
    user_ref     TEXT NOT NULL CHECK (user_ref <> ''),
    shop_id      INTEGER NULL REFERENCES shops (id) ON DELETE SET NULL,
    customer_id  INTEGER NULL REFERENCES customers (id) ON DELETE SET NULL,
    role         TEXT NOT NULL DEFAULT 'learner' CHECK (role IN ('buyer', 'learner')),
    created_at   TIMESTAMP NOT NULL,
    active_since TIMESTAMP NOT NULL,
    suspended_at TIMESTAMP NULL,
    PRIMARY KEY (site, user_ref)
);
INSERT INTO shop_lms_accounts_sited (site, user_ref, shop_id, customer_id, role, created_at, active_since, suspended_at)
SELECT COALESCE(s.lms_connector || ':', ''), a.user_ref, c.shop_id, a.customer_id, a.role, a.created_at, a.active_since, a.suspended_at
FROM shop_lms_accounts a LEFT JOIN customers c ON c.id = a.customer_id LEFT JOIN shops s ON s.id = c.shop_id;
DROP TABLE shop_lms_accounts;
ALTER TABLE shop_lms_accounts_sited RENAME TO shop_lms_accounts;
CREATE INDEX shop_lms_accounts_active_since_idx ON shop_lms_accounts (active_since);
CREATE INDEX shop_lms_accounts_customer_id_idx ON shop_lms_accounts (customer_id);
CREATE INDEX shop_lms_accounts_user_ref_idx ON shop_lms_accounts (user_ref);

-- +goose Down

CREATE TABLE shop_lms_accounts_unsited (
    user_ref     TEXT PRIMARY KEY CHECK (user_ref <> ''),
    customer_id  INTEGER NULL REFERENCES customers (id) ON DELETE SET NULL,
    role         TEXT NOT NULL DEFAULT 'learner' CHECK (role IN ('buyer', 'learner')),
    created_at   TIMESTAMP NOT NULL,
    active_since TIMESTAMP NOT NULL,
    suspended_at TIMESTAMP NULL
);
INSERT OR IGNORE INTO shop_lms_accounts_unsited (user_ref, customer_id, role, created_at, active_since, suspended_at)
SELECT user_ref, customer_id, role, created_at, active_since, suspended_at FROM shop_lms_accounts ORDER BY created_at;
DROP TABLE shop_lms_accounts;
ALTER TABLE shop_lms_accounts_unsited RENAME TO shop_lms_accounts;
CREATE INDEX shop_lms_accounts_active_since_idx ON shop_lms_accounts (active_since);
CREATE INDEX shop_lms_accounts_customer_id_idx ON shop_lms_accounts (customer_id);
ALTER TABLE shops DROP COLUMN moodle_url;
