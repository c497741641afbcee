package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"courseshop/internal/customer"
	"courseshop/internal/mailaddr"
)

// ErrBound is returned when a change on the word of a visitor who is not
// signed in would touch a customer bound to a user account (rule C2/C4).
var ErrBound = errors.New("store: customer is bound to a user account")

const customerColumns = `id, shop_id, email, first_name, last_name, organisation, address, zip, city, country, phone,
	locale, invoicing, lms_user_ref, bound_at, created_at, updated_at`

// scanCustomer reads customerColumns, then the extra columns of the query
// into extra.
func scanCustomer(row rowScanner, extra ...any) (*customer.Customer, error) {
	var c customer.Customer
	var inv string
	var ref sql.NullString
	var bound sql.NullTime
	err := row.Scan(append([]any{&c.ID, &c.ShopID, &c.Email, &c.FirstName, &c.LastName, &c.Organisation, &c.Address, &c.Zip, &c.City,
		&c.Country, &c.Phone, &c.Locale, &inv, &ref, &bound, &c.CreatedAt, &c.UpdatedAt}, extra...)...)
	if err != nil {
		return nil, err
	}
	c.LMSUserRef, c.BoundAt = ref.String, bound.Time
	if inv != "" && inv != "{}" && inv != "null" {
		c.Invoicing = &customer.Invoicing{}
		if err := json.Unmarshal([]byte(inv), c.Invoicing); err != nil {
			return nil, fmt.Errorf("customer %d invoicing: %w", c.ID, err)
		}
	}
	return &c, nil
}

func invoicingJSON(inv *customer.Invoicing) (string, error) {
	if inv == nil {
		return "{}", nil
	}
	b, err := json.Marshal(inv)
	return string(b), err
}

// SaveLead records what a visitor typed at the customer step (rule C1):
// it creates the shop's customer with that e-mail, or updates it with the
// latest values (C2). A customer bound to a user account is left untouched
// and ErrBound returned: only its signed-in owner changes it.
func (s *Store) SaveLead(ctx context.Context, c *customer.Customer) (created bool, err error) {
	inv, err := invoicingJSON(c.Invoicing)
	if err != nil {
		return false, err
	}
	now := s.now()
	err = s.InTx(ctx, func(tx *Store) error {
		old, err := scanCustomer(tx.r().QueryRowContext(ctx,
			`SELECT `+customerColumns+` FROM customers WHERE shop_id = $1 AND email_norm = $2`, c.ShopID, mailaddr.Normalize(c.Email)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			err := tx.w().QueryRowContext(ctx,
				`INSERT INTO customers (shop_id, email, email_norm, first_name, last_name, organisation, address, zip, city, country,
				   phone, locale, invoicing, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
				c.ShopID, c.Email, mailaddr.Normalize(c.Email), c.FirstName, c.LastName, c.Organisation, c.Address, c.Zip, c.City,
				c.Country, c.Phone, c.Locale, inv, now).Scan(&c.ID)
			c.CreatedAt, c.UpdatedAt = now, now
			return mapErr(err, "create customer")
		case err != nil:
			return mapErr(err, "find customer")
		case old.Bound():
			*c = *old
			return ErrBound
		}
		c.ID, c.CreatedAt, c.UpdatedAt = old.ID, old.CreatedAt, now
		return tx.updateCustomer(ctx, c, inv)
	})
	return created, err
}

func (s *Store) updateCustomer(ctx context.Context, c *customer.Customer, inv string) error {
	_, err := s.w().ExecContext(ctx,
		`UPDATE customers SET email = $1, email_norm = $2, first_name = $3, last_name = $4, organisation = $5, address = $6,
		   zip = $7, city = $8, country = $9, phone = $10, locale = $11, invoicing = $12, updated_at = $13 WHERE id = $14`,
		c.Email, mailaddr.Normalize(c.Email), c.FirstName, c.LastName, c.Organisation, c.Address, c.Zip, c.City, c.Country,
		c.Phone, c.Locale, inv, c.UpdatedAt, c.ID)
	return mapErr(err, "update customer")
}

// SaveOwnCustomer records the contact step of a signed-in user (rules C5,
// C6): the shop's customer bound to userRef is updated; without one, the
// unbound customer of that e-mail is taken over, or a new one created, and
// bound to the user. An e-mail that belongs to another user's customer is
// refused with ErrConflict.
func (s *Store) SaveOwnCustomer(ctx context.Context, c *customer.Customer, userRef string) error {
	inv, err := invoicingJSON(c.Invoicing)
	if err != nil {
		return err
	}
	now := s.now()
	return s.InTx(ctx, func(tx *Store) error {
		mine, err := scanCustomer(tx.r().QueryRowContext(ctx,
			`SELECT `+customerColumns+` FROM customers WHERE shop_id = $1 AND lms_user_ref = $2`, c.ShopID, userRef))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return mapErr(err, "find own customer")
		}
		byEmail, err := scanCustomer(tx.r().QueryRowContext(ctx,
			`SELECT `+customerColumns+` FROM customers WHERE shop_id = $1 AND email_norm = $2`, c.ShopID, mailaddr.Normalize(c.Email)))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return mapErr(err, "find customer")
		}
		switch {
		case byEmail != nil && byEmail.Bound() && byEmail.LMSUserRef != userRef:
			return fmt.Errorf("%w: e-mail of another customer", ErrConflict)
		case mine == nil && byEmail != nil:
			mine = byEmail // a lead of this user's, from before they signed in
		case mine != nil && byEmail != nil && byEmail.ID != mine.ID:
			// The user types the e-mail of an unbound lead: the lead
			// gives way, its orders keep their own snapshots.
			if _, err := tx.w().ExecContext(ctx, `UPDATE orders SET customer_id = $1 WHERE customer_id = $2`, mine.ID, byEmail.ID); err != nil {
				return mapErr(err, "move lead orders")
			}
			if _, err := tx.w().ExecContext(ctx, `DELETE FROM customers WHERE id = $1`, byEmail.ID); err != nil {
				return mapErr(err, "merge lead")
			}
		}
		c.UpdatedAt = now
		if mine == nil {
			c.CreatedAt, c.LMSUserRef, c.BoundAt = now, userRef, now
			err := tx.w().QueryRowContext(ctx,
				`INSERT INTO customers (shop_id, email, email_norm, first_name, last_name, organisation, address, zip, city, country,
				   phone, locale, invoicing, lms_user_ref, bound_at, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15) RETURNING id`,
				c.ShopID, c.Email, mailaddr.Normalize(c.Email), c.FirstName, c.LastName, c.Organisation, c.Address, c.Zip, c.City,
				c.Country, c.Phone, c.Locale, inv, userRef, now).Scan(&c.ID)
			return mapErr(err, "create own customer")
		}
		c.ID, c.CreatedAt = mine.ID, mine.CreatedAt
		if err := tx.updateCustomer(ctx, c, inv); err != nil {
			return err
		}
		if !mine.Bound() {
			_, err := tx.w().ExecContext(ctx, `UPDATE customers SET lms_user_ref = $1, bound_at = $2 WHERE id = $3`, userRef, now, c.ID)
			if err != nil {
				return mapErr(err, "bind customer")
			}
			mine.BoundAt = now
		}
		c.LMSUserRef, c.BoundAt = userRef, mine.BoundAt
		return nil
	})
}

// CustomerByEmail returns the shop's customer with that e-mail.
func (s *Store) CustomerByEmail(ctx context.Context, shopID int64, email string) (*customer.Customer, error) {
	c, err := scanCustomer(s.r().QueryRowContext(ctx,
		`SELECT `+customerColumns+` FROM customers WHERE shop_id = $1 AND email_norm = $2`, shopID, mailaddr.Normalize(email)))
	return c, mapErr(err, "customer by e-mail")
}

// CustomerByUser returns the shop's customer bound to an LMS user.
func (s *Store) CustomerByUser(ctx context.Context, shopID int64, userRef string) (*customer.Customer, error) {
	c, err := scanCustomer(s.r().QueryRowContext(ctx,
		`SELECT `+customerColumns+` FROM customers WHERE shop_id = $1 AND lms_user_ref = $2`, shopID, userRef))
	return c, mapErr(err, "customer by user")
}

// CustomerByID returns a customer.
func (s *Store) CustomerByID(ctx context.Context, id int64) (*customer.Customer, error) {
	c, err := scanCustomer(s.r().QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id))
	return c, mapErr(err, "customer")
}

// SigninToken is a one-time sign-in link's record.
type SigninToken struct {
	ShopID     int64
	EmailNorm  string
	LMSUserRef string
	ExpiresAt  time.Time
}

// CreateSigninToken stores a one-time sign-in link under the hash of its
// token.
func (s *Store) CreateSigninToken(ctx context.Context, tokenHash string, t SigninToken) error {
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO signin_tokens (token_hash, shop_id, email_norm, lms_user_ref, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		tokenHash, t.ShopID, t.EmailNorm, t.LMSUserRef, t.ExpiresAt, s.now())
	return mapErr(err, "create sign-in token")
}

// CountSigninTokens returns how many links were made for an e-mail in a
// shop since a time, for rate limiting.
func (s *Store) CountSigninTokens(ctx context.Context, shopID int64, email string, since time.Time) (int, error) {
	var n int
	err := s.r().QueryRowContext(ctx,
		`SELECT count(*) FROM signin_tokens WHERE shop_id = $1 AND email_norm = $2 AND created_at > $3`,
		shopID, mailaddr.Normalize(email), since).Scan(&n)
	return n, mapErr(err, "count sign-in tokens")
}

// UseSigninToken consumes an unexpired, unused link: a link works once.
func (s *Store) UseSigninToken(ctx context.Context, shopID int64, tokenHash string) (*SigninToken, error) {
	now := s.now()
	var t SigninToken
	err := s.w().QueryRowContext(ctx,
		`UPDATE signin_tokens SET used_at = $1
		 WHERE token_hash = $2 AND shop_id = $3 AND used_at IS NULL AND expires_at > $1
		 RETURNING shop_id, email_norm, lms_user_ref, expires_at`, now, tokenHash, shopID).
		Scan(&t.ShopID, &t.EmailNorm, &t.LMSUserRef, &t.ExpiresAt)
	if err != nil {
		return nil, mapErr(err, "use sign-in token")
	}
	return &t, nil
}
