package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"courseshop/internal/money"
)

// Payment kinds and statuses (the payments CHECK constraints).
const (
	PaymentKindPayment = "payment"
	PaymentKindRefund  = "refund"

	PaymentPending   = "pending"
	PaymentSucceeded = "succeeded"
	PaymentFailed    = "failed"
	PaymentRefunded  = "refunded"
	PaymentCancelled = "cancelled"
)

// Payment is an entry of the payments ledger: money received for an order
// (or refunded), as reported by a provider or recorded by hand. What an
// order has been paid is computed from its entries, never stored alone.
type Payment struct {
	ID       int64
	OrderID  int64
	Provider string // "offline", "test", "stripe"…
	Kind     string // PaymentKindPayment or PaymentKindRefund
	Amount   money.Money
	// ExternalID identifies the payment at its provider; with Provider it
	// is unique, which makes a replayed notification harmless.
	ExternalID string
	Status     string
	Data       map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AddPayment appends p to the ledger and sets its ID and timestamps. An
// entry with the same provider and external id already there makes it
// fail with ErrConflict and change nothing: the caller treats that as a
// replay. The transaction stays usable after a conflict.
func (s *Store) AddPayment(ctx context.Context, p *Payment) error {
	if p.Kind == "" {
		p.Kind = PaymentKindPayment
	}
	data := p.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: payment data: %w", err)
	}
	now := s.now()
	what := fmt.Sprintf("payment %s/%s of order %d", p.Provider, p.ExternalID, p.OrderID)
	// ON CONFLICT DO NOTHING rather than a failing insert: on PostgreSQL a
	// unique violation would abort the caller's whole transaction.
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO payments (order_id, provider, kind, amount, currency, external_id, status, data, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		 ON CONFLICT (provider, external_id) DO NOTHING RETURNING id`,
		p.OrderID, p.Provider, p.Kind, p.Amount.Amount(), p.Amount.Currency(), nullText(p.ExternalID), p.Status, string(b), now).Scan(&p.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s already recorded", ErrConflict, what)
	}
	if err != nil {
		return mapErr(err, what)
	}
	p.CreatedAt, p.UpdatedAt = now, now
	return nil
}

const paymentColumns = `id, order_id, provider, kind, amount, currency, external_id, status, data, created_at, updated_at`

func scanPayment(row rowScanner) (*Payment, error) {
	var p Payment
	var amount int64
	var cur, data string
	var ext sql.NullString
	if err := row.Scan(&p.ID, &p.OrderID, &p.Provider, &p.Kind, &amount, &cur, &ext, &p.Status, &data, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, mapErr(err, "payment")
	}
	var err error
	if p.Amount, err = money.New(amount, cur); err != nil {
		return nil, fmt.Errorf("store: payment %d: %w", p.ID, err)
	}
	p.ExternalID = ext.String
	if err := json.Unmarshal([]byte(data), &p.Data); err != nil {
		return nil, fmt.Errorf("store: payment %d data: %w", p.ID, err)
	}
	return &p, nil
}

// PaymentByExternalID returns the ledger entry a provider knows by
// externalID.
func (s *Store) PaymentByExternalID(ctx context.Context, provider, externalID string) (*Payment, error) {
	return scanPayment(s.r().QueryRowContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE provider = $1 AND external_id = $2`, provider, externalID))
}

// PaymentsOfOrder returns an order's ledger entries, oldest first.
func (s *Store) PaymentsOfOrder(ctx context.Context, orderID int64) ([]Payment, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, mapErr(err, "payments of order")
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, mapErr(rows.Err(), "payments of order")
}

// PaidAmount returns what an order has been paid according to its ledger:
// succeeded payments less succeeded refunds, in currency (entries in
// another currency are an error: nothing converts implicitly).
func (s *Store) PaidAmount(ctx context.Context, orderID int64, currency string) (money.Money, error) {
	var other int
	var paid int64
	err := s.r().QueryRowContext(ctx,
		`SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END), 0) AS BIGINT),
		   count(*) FILTER (WHERE currency <> $3)
		 FROM payments WHERE order_id = $1 AND status = $2`, orderID, PaymentSucceeded, currency).Scan(&paid, &other)
	if err != nil {
		return money.Money{}, mapErr(err, fmt.Sprintf("paid amount of order %d", orderID))
	}
	if other > 0 {
		return money.Money{}, fmt.Errorf("store: order %d: %d payments not in %s: %w", orderID, other, currency, money.ErrCurrencyMismatch)
	}
	return money.New(paid, currency)
}
