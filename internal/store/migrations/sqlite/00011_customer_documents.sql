-- Private documents: files the sales team attaches to a customer, or to
-- one of the customer's product instances, that only the customer's users
-- (its owner and managers) may download from the support area. They are
-- kept in the database, like media, so that every node serves them and a
-- backup of the database holds them. They are personal data: erasing the
-- customer deletes them. SQLite flavour; the postgres/ folder
-- has the same version and names.
--
-- instance_id: the product instance the document is about, if any; it
-- must be the customer's (checked when attaching).
-- file_name: sanitised, never a path.
-- created_by: who attached it (free text: the sales person's name).
-- size is capped by the store (store.MaxDocumentSize); the CHECK is the
-- last guard.

-- +goose Up

CREATE TABLE customer_documents (
    id           INTEGER PRIMARY KEY,
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    instance_id  INTEGER NULL REFERENCES product_instances (id) ON DELETE SET NULL,
    file_name    TEXT NOT NULL CHECK (file_name <> ''),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0 AND size <= 20971520),
    sha256       TEXT NOT NULL,
    body         BLOB NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL
);

CREATE INDEX customer_documents_customer_idx ON customer_documents (customer_id, created_at);
CREATE INDEX customer_documents_shop_idx ON customer_documents (shop_id, created_at);

-- +goose Down

DROP TABLE customer_documents;
