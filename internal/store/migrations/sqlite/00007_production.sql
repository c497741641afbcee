-- Production: the durable job queue that enrols buyers once an order is
-- paid, and what product instances need for idempotent production.
-- SQLite flavour; the postgres/ folder has the same version and names.
--
-- jobs: written in the transaction that records the payment (or, for the
-- jobs of the lines, in the one that finishes the order's first phase), so
-- a job exists exactly when its cause does.
-- status: pending (waiting for run_at), running (claimed by a worker until
-- claimed_until; a claim past it was left by a crashed worker and is taken
-- again), done, failed (permanent error or attempts exhausted; RetryOrder
-- puts it back to pending).
-- idem_key: one job per purpose ('prepay:<order id>', 'line:<line id>'),
-- so enqueuing twice is harmless.
-- progress: what a running job must remember across a crash (accounts it
-- was creating, notices already mailed), written outside its final
-- transaction.

-- +goose Up

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind <> ''),
    idem_key      TEXT NOT NULL CHECK (idem_key <> ''),
    order_id      INTEGER NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id       INTEGER NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    payload       TEXT NOT NULL DEFAULT '{}',
    progress      TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  INTEGER NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    run_at        TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP NULL,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT jobs_idem_key_key UNIQUE (idem_key),
    CHECK (status <> 'running' OR claimed_until IS NOT NULL)
);

CREATE INDEX jobs_status_run_at_idx ON jobs (status, run_at);
CREATE INDEX jobs_order_id_idx ON jobs (order_id);
CREATE INDEX jobs_line_id_idx ON jobs (line_id);

-- unit_key names what of a line an instance stands for (bundle element,
-- unit, participant): a line is never produced twice, even by two workers.
ALTER TABLE product_instances ADD COLUMN unit_key TEXT NULL;
CREATE UNIQUE INDEX product_instances_line_unit_key ON product_instances (order_line_id, unit_key);

-- +goose Down

DROP INDEX product_instances_line_unit_key;
ALTER TABLE product_instances DROP COLUMN unit_key;
DROP TABLE jobs;
