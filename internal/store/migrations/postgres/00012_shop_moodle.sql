-- Each shop on its own Moodle site. PostgreSQL flavour; the sqlite/ folder has the same
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
ALTER TABLE shop_lms_accounts ADD COLUMN shop_id BIGINT NULL REFERENCES shops (id) ON DELETE SET NULL;
ALTER TABLE shop_lms_accounts ADD COLUMN site TEXT NOT NULL DEFAULT '';
UPDATE shop_lms_accounts a SET shop_id = c.shop_id, site = s.lms_connector || ':'
FROM customers c JOIN shops s ON s.id = c.shop_id WHERE c.id = a.customer_id;
ALTER TABLE shop_lms_accounts ALTER COLUMN site DROP DEFAULT;
ALTER TABLE shop_lms_accounts DROP CONSTRAINT shop_lms_accounts_pkey;
ALTER TABLE shop_lms_accounts ADD PRIMARY KEY (site, user_ref);
CREATE INDEX shop_lms_accounts_user_ref_idx ON shop_lms_accounts (user_ref);

-- +goose Down

DROP INDEX shop_lms_accounts_user_ref_idx;
ALTER TABLE shop_lms_accounts DROP CONSTRAINT shop_lms_accounts_pkey;
DELETE FROM shop_lms_accounts a USING shop_lms_accounts b WHERE a.user_ref = b.user_ref AND a.created_at > b.created_at;
ALTER TABLE shop_lms_accounts ADD PRIMARY KEY (user_ref);
ALTER TABLE shop_lms_accounts DROP COLUMN site;
ALTER TABLE shop_lms_accounts DROP COLUMN shop_id;
ALTER TABLE shops DROP COLUMN moodle_url;
