package store

import (
	"context"
	"time"
)

// SupportMessage is a message a customer sent the sales team from the
// support area.
type SupportMessage struct {
	ID         int64
	ShopID     int64
	CustomerID int64
	About      string // an order number, a product reference, or empty
	Body       string
	CreatedAt  time.Time
}

// AddSupportMessage records m and sets its ID and time.
func (s *Store) AddSupportMessage(ctx context.Context, m *SupportMessage) error {
	m.CreatedAt = s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO support_messages (shop_id, customer_id, about, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		m.ShopID, m.CustomerID, m.About, m.Body, m.CreatedAt).Scan(&m.ID)
	return mapErr(err, "add support message")
}

// SupportMessagesOfCustomer returns a customer's messages, newest first.
func (s *Store) SupportMessagesOfCustomer(ctx context.Context, customerID int64) ([]*SupportMessage, error) {
	return s.supportMessages(ctx, "support messages", `customer_id = $1`, customerID)
}

// SupportMessagesOfShop returns the messages customers sent a shop's
// sales team since since (zero: all), newest first.
func (s *Store) SupportMessagesOfShop(ctx context.Context, shopID int64, since time.Time) ([]*SupportMessage, error) {
	return s.supportMessages(ctx, "support messages of the shop", `shop_id = $1 AND created_at >= $2`, shopID, since)
}

// supportMessages returns the messages matching where, newest first.
func (s *Store) supportMessages(ctx context.Context, what, where string, args ...any) ([]*SupportMessage, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, shop_id, customer_id, about, body, created_at FROM support_messages
		 WHERE `+where+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	var out []*SupportMessage
	for rows.Next() {
		var m SupportMessage
		if err := rows.Scan(&m.ID, &m.ShopID, &m.CustomerID, &m.About, &m.Body, &m.CreatedAt); err != nil {
			return nil, mapErr(err, what)
		}
		out = append(out, &m)
	}
	return out, mapErr(rows.Err(), what)
}
