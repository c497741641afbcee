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

-- +goose Up

ALTER TABLE shops ADD COLUMN moodle_url TEXT NOT NULL DEFAULT '';
ALTER TABLE shop_lms_accounts ADD COLUMN shop_id INTEGER NULL REFERENCES shops (id) ON DELETE SET NULL;
UPDATE shop_lms_accounts SET shop_id = (SELECT c.shop_id FROM customers c WHERE c.id = shop_lms_accounts.customer_id);

-- +goose Down

ALTER TABLE shop_lms_accounts DROP COLUMN shop_id;
ALTER TABLE shops DROP COLUMN moodle_url;
