-- Order core: what the payment mode asked the buyer (e.g. a purchase order
-- number), and the stock each order holds. PostgreSQL flavour; the sqlite/
-- folder has the same version and names.
--
-- order_stock: one row per limited product an order takes stock of (a
-- bundle's elements have their own rows). Its state says where those units
-- stand, so that consuming (held -> sold, on payment) and releasing (held or
-- sold -> released, on cancellation) each change products.stock_held /
-- stock_sold exactly once, whatever path the order took.

-- +goose Up

ALTER TABLE orders ADD COLUMN payment_data TEXT NOT NULL DEFAULT '{}';

CREATE TABLE order_stock (
    order_id   BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    state      TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'sold', 'released')),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX order_stock_product_id_idx ON order_stock (product_id);

-- +goose Down

DROP TABLE order_stock;
ALTER TABLE orders DROP COLUMN payment_data;
