package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/mailaddr"
)

// MailStatus is where a mail of the outbox stands.
type MailStatus string

// The states of an outbox mail. pending → sending → sent, or back to
// pending for another attempt, or failed for good; captured mails are never
// sent (the shop runs without SMTP, as serve --demo does).
const (
	MailPending  MailStatus = "pending"
	MailSending  MailStatus = "sending"
	MailSent     MailStatus = "sent"
	MailFailed   MailStatus = "failed"
	MailCaptured MailStatus = "captured"
)

// OutboxMail is one rendered e-mail of the outbox.
type OutboxMail struct {
	ID            int64
	ShopID        int64 // 0: not about a shop (NULL)
	Kind          string
	Locale        string
	To            string
	Subject       string
	Text          string
	HTML          string
	Status        MailStatus
	Attempts      int // delivery attempts started
	NextAttemptAt time.Time
	LastError     string
	ClaimedUntil  time.Time // zero unless a sender holds the mail
	SentAt        time.Time // zero until sent
	RefType       string    // what the mail is about: "order", "customer"…
	RefID         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// outboxColumns is the column list every outbox query reads, in the order
// scanMail expects.
const outboxColumns = `id, shop_id, kind, locale, to_addr, subject, text_body, html_body, status, attempts,
	next_attempt_at, last_error, claimed_until, sent_at, ref_type, ref_id, created_at, updated_at`

// outboxDue selects the mails a sender may take at $1: pending ones whose
// time has come, and those whose sender's claim ran out (it crashed or lost
// its connection to the database).
const outboxDue = `((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until < $1))`

func scanMail(row rowScanner) (*OutboxMail, error) {
	var m OutboxMail
	var shop sql.NullInt64
	var claimed, sent sql.NullTime
	var status string
	err := row.Scan(&m.ID, &shop, &m.Kind, &m.Locale, &m.To, &m.Subject, &m.Text, &m.HTML, &status, &m.Attempts,
		&m.NextAttemptAt, &m.LastError, &claimed, &sent, &m.RefType, &m.RefID, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return nil, err
	}
	m.ShopID, m.Status = shop.Int64, MailStatus(status)
	if claimed.Valid {
		m.ClaimedUntil = claimed.Time
	}
	if sent.Valid {
		m.SentAt = sent.Time
	}
	return &m, nil
}

// dbTime brings a time given by a caller to what the database holds:
// UTC, microseconds. On SQLite timestamps are compared as text, which is
// only right when every value has the same zone.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// EnqueueMail inserts m into the outbox and sets its ID, attempts and
// timestamps. Call it on the Store of the transaction that records the
// event causing the mail: the mail then exists exactly when the event does.
// Status must be pending (the default) or captured; a zero NextAttemptAt
// means now.
func (s *Store) EnqueueMail(ctx context.Context, m *OutboxMail) error {
	switch m.Status {
	case "":
		m.Status = MailPending
	case MailPending, MailCaptured:
	default:
		return fmt.Errorf("%w: enqueue mail: status %q, want pending or captured", ErrConstraint, m.Status)
	}
	now := s.now()
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = now
	}
	m.NextAttemptAt = dbTime(m.NextAttemptAt)
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO outbox (shop_id, kind, locale, to_addr, subject, text_body, html_body, status, attempts,
		                     next_attempt_at, ref_type, ref_id, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $12) RETURNING id`,
		nullID(m.ShopID), m.Kind, m.Locale, m.To, m.Subject, m.Text, m.HTML, string(m.Status),
		m.NextAttemptAt, m.RefType, m.RefID, now).Scan(&m.ID)
	if err != nil {
		return mapErr(err, fmt.Sprintf("enqueue %s mail to %s", m.Kind, m.To))
	}
	m.Attempts, m.LastError, m.ClaimedUntil, m.SentAt = 0, "", time.Time{}, time.Time{}
	m.CreatedAt, m.UpdatedAt = now, now
	return nil
}

// ClaimMails takes up to limit mails due at now for delivery: it moves them
// to sending, counts an attempt and holds them until now+lease, all in one
// statement, so that two senders (two nodes) never take the same mail. A
// sender that dies holding mails loses them when the lease ends and another
// sender takes them again: delivery is at least once. Mails come oldest due
// first.
func (s *Store) ClaimMails(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*OutboxMail, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim mails: limit %d and lease %s must be positive", limit, lease)
	}
	now = dbTime(now)
	// The inner SELECT picks the mails, the UPDATE takes them. SQLite has a
	// single writer, so nothing can come between the two. On PostgreSQL two
	// senders run the statement at once: SKIP LOCKED makes the second pass
	// over rows the first is taking, and the repeated outboxDue condition is
	// re-checked on the row as the first sender left it, so a mail can never
	// be claimed twice even if both subqueries picked it.
	lock := ""
	if s.Engine() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The pick is MATERIALIZED: as a plain subquery PostgreSQL may run it
	// again for each row and take more than limit rows.
	out, err := queryAll(ctx, s.w(), "claim mails", scanMail,
		`WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE `+outboxDue+` ORDER BY next_attempt_at, id LIMIT $4`+lock+`)
		 UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_until = $2, updated_at = $3
		 WHERE id IN (SELECT id FROM picked) AND `+outboxDue+`
		 RETURNING `+outboxColumns,
		now, dbTime(now.Add(lease)), s.now(), limit)
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no promised order.
	slices.SortFunc(out, func(a, b *OutboxMail) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// MarkMailSent records the delivery of a claimed mail at at. It returns
// ErrNotFound when the mail is not being sent (never claimed, or already
// settled).
func (s *Store) MarkMailSent(ctx context.Context, id int64, at time.Time) error {
	at = dbTime(at)
	res, err := s.w().ExecContext(ctx,
		`UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, last_error = '', updated_at = $2
		 WHERE id = $3 AND status = 'sending'`, at, s.now(), id)
	return settled(res, err, fmt.Sprintf("mark mail %d sent", id))
}

// MarkMailFailed records a failed delivery attempt of a claimed mail: the
// mail is tried again at retryAt, or, when permanent, never again. errText
// is kept for the back office. It returns ErrNotFound when the mail is not
// being sent.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, errText string, retryAt time.Time, permanent bool) error {
	status := MailPending
	if permanent {
		status = MailFailed
	}
	res, err := s.w().ExecContext(ctx,
		`UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3, claimed_until = NULL, updated_at = $4
		 WHERE id = $5 AND status = 'sending'`, string(status), errText, dbTime(retryAt), s.now(), id)
	return settled(res, err, fmt.Sprintf("mark mail %d failed", id))
}

// ReleaseMail gives back a claimed mail that was not tried (its sender is
// stopping): it is pending again at once and the claim's attempt is not
// counted. It returns ErrNotFound when the mail is not being sent.
func (s *Store) ReleaseMail(ctx context.Context, id int64) error {
	now := s.now()
	res, err := s.w().ExecContext(ctx,
		`UPDATE outbox SET status = 'pending', attempts = attempts - 1, claimed_until = NULL, updated_at = $1
		 WHERE id = $2 AND status = 'sending' AND attempts > 0`, now, id)
	return settled(res, err, fmt.Sprintf("release mail %d", id))
}

// settled turns the result of a one-row UPDATE into nil or ErrNotFound.
func settled(res sql.Result, err error, what string) error {
	if err != nil {
		return mapErr(err, what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(err, what)
	} else if n == 0 {
		return mapErr(sql.ErrNoRows, what)
	}
	return nil
}

// MailFilter selects outbox mails; zero fields do not filter.
type MailFilter struct {
	RefType, RefID string
	To             string // compared normalised: case and spaces do not matter
	ShopID         int64
	Status         MailStatus
	Limit          int // 0: 100
}

// Mails lists outbox mails matching f, newest first, for the back office
// and tests.
func (s *Store) Mails(ctx context.Context, f MailFilter) ([]*OutboxMail, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.RefType != "" {
		add("ref_type = ?", f.RefType)
	}
	if f.RefID != "" {
		add("ref_id = ?", f.RefID)
	}
	if f.To != "" {
		add("lower(to_addr) = ?", mailaddr.Normalize(f.To))
	}
	if f.ShopID != 0 {
		add("shop_id = ?", f.ShopID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += ` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	return queryAll(ctx, s.r(), "list mails", scanMail,
		q, args...)
}

// MailByID returns one outbox mail.
func (s *Store) MailByID(ctx context.Context, id int64) (*OutboxMail, error) {
	m, err := scanMail(s.r().QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("mail %d", id))
	}
	return m, nil
}
