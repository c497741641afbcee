-- Outbox: e-mails written in the same transaction as the event that causes
-- them (an order placed, a sign-in link asked for), then delivered by the
-- mail sender. SQLite flavour; the postgres/ folder has the same version and
-- names.
--
-- status: pending (waiting for next_attempt_at), sending (claimed by a
-- sender until claimed_until; a claim past it was left by a crashed sender
-- and is taken again), sent, failed (permanent error or attempts exhausted),
-- captured (never sent: the shop runs without SMTP, e.g. serve --demo).
-- attempts counts delivery attempts started, so a mail that crashes its
-- sender does not loop for ever.
-- ref_type/ref_id name what the mail is about ('order', '42').

-- +goose Up

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    shop_id         INTEGER NULL REFERENCES shops (id) ON DELETE SET NULL,
    kind            TEXT NOT NULL CHECK (kind <> ''),
    locale          TEXT NOT NULL DEFAULT '',
    to_addr         TEXT NOT NULL CHECK (to_addr <> ''),
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'captured')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    claimed_until   TIMESTAMP NULL,
    sent_at         TIMESTAMP NULL,
    ref_type        TEXT NOT NULL DEFAULT '',
    ref_id          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (status <> 'sending' OR claimed_until IS NOT NULL),
    CHECK (status <> 'sent' OR sent_at IS NOT NULL)
);

CREATE INDEX outbox_status_next_attempt_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ref_idx ON outbox (ref_type, ref_id);
CREATE INDEX outbox_shop_id_idx ON outbox (shop_id);

-- +goose Down

DROP TABLE outbox;
