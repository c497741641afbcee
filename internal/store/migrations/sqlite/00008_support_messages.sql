-- Messages customers send the sales team from the support area, with the
-- order or product they are about. The other engine's folder has the same
-- version.

-- +goose Up
CREATE TABLE support_messages (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    about       TEXT NOT NULL, -- an order number, a product reference, or empty
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE INDEX support_messages_customer_idx ON support_messages (customer_id, created_at);
CREATE INDEX support_messages_shop_idx ON support_messages (shop_id, created_at);

-- +goose Down
DROP TABLE support_messages;
