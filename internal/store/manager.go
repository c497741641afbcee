package store

import (
	"context"
	"database/sql"
	"time"

	"courseshop/internal/customer"
	"courseshop/internal/mailaddr"
)

// ManagerRole is what a user is to a customer they may act for (rule C9).
type ManagerRole string

// The roles. The owner is the customer's bound user (rule C3) and is not
// stored among the managers, so the two can never disagree.
const (
	RoleOwner   ManagerRole = "owner"
	RoleManager ManagerRole = "manager"
)

// Manager is a user who may act for a customer.
type Manager struct {
	CustomerID int64
	LMSUserRef string
	Role       ManagerRole
	InvitedBy  string    // LMS user ref; empty for the owner
	AddedAt    time.Time // for the owner, when the customer was bound
}

// ManagedCustomer is a customer a user may act for, and as what.
type ManagedCustomer struct {
	Customer *customer.Customer
	Role     ManagerRole
}

// managedBy is the condition "userRef ($n) owns or manages the customer".
func managedBy(n string) string {
	return `(lms_user_ref = ` + n + ` OR id IN (SELECT customer_id FROM customer_managers WHERE lms_user_ref = ` + n + `))`
}

// CustomersManagedBy returns the shop's customers a user may act for: the
// one bound to them first, then the ones they manage, by organisation.
func (s *Store) CustomersManagedBy(ctx context.Context, shopID int64, userRef string) ([]ManagedCustomer, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+customerColumns+`, CASE WHEN lms_user_ref = $2 THEN 0 ELSE 1 END AS managed
		 FROM customers WHERE shop_id = $1 AND `+managedBy("$2")+` ORDER BY managed, organisation, id`, shopID, userRef)
	if err != nil {
		return nil, mapErr(err, "managed customers")
	}
	defer rows.Close()
	var out []ManagedCustomer
	for rows.Next() {
		var managed int
		c, err := scanCustomer(rows, &managed)
		if err != nil {
			return nil, mapErr(err, "managed customers")
		}
		out = append(out, ManagedCustomer{Customer: c, Role: roleOf(managed)})
	}
	return out, mapErr(rows.Err(), "managed customers")
}

func roleOf(managed int) ManagerRole {
	if managed == 0 {
		return RoleOwner
	}
	return RoleManager
}

// CustomerManagedBy returns the shop's customer id if userRef may act for
// it, and as what; ErrNotFound otherwise, as for a customer that does not
// exist.
func (s *Store) CustomerManagedBy(ctx context.Context, shopID, id int64, userRef string) (*ManagedCustomer, error) {
	var managed int
	c, err := scanCustomer(s.r().QueryRowContext(ctx,
		`SELECT `+customerColumns+`, CASE WHEN lms_user_ref = $3 THEN 0 ELSE 1 END
		 FROM customers WHERE id = $1 AND shop_id = $2 AND `+managedBy("$3"), id, shopID, userRef), &managed)
	if err != nil {
		return nil, mapErr(err, "managed customer")
	}
	return &ManagedCustomer{Customer: c, Role: roleOf(managed)}, nil
}

// CustomerManagers returns who may act for a customer: its owner first
// (when it is bound), then its managers in the order they were added.
func (s *Store) CustomerManagers(ctx context.Context, customerID int64) ([]Manager, error) {
	c, err := s.CustomerByID(ctx, customerID)
	if err != nil {
		return nil, err
	}
	var out []Manager
	if c.Bound() {
		out = append(out, Manager{CustomerID: c.ID, LMSUserRef: c.LMSUserRef, Role: RoleOwner, AddedAt: c.BoundAt})
	}
	rows, err := s.r().QueryContext(ctx,
		`SELECT lms_user_ref, invited_by, created_at FROM customer_managers WHERE customer_id = $1 ORDER BY created_at, lms_user_ref`, customerID)
	if err != nil {
		return nil, mapErr(err, "customer managers")
	}
	defer rows.Close()
	for rows.Next() {
		m := Manager{CustomerID: customerID, Role: RoleManager}
		if err := rows.Scan(&m.LMSUserRef, &m.InvitedBy, &m.AddedAt); err != nil {
			return nil, mapErr(err, "customer managers")
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "customer managers")
}

// RemoveManager takes a manager's access to a customer away: from their
// next request on, they may not act for it. The owner is no manager:
// removing them, like an unknown user, gives ErrNotFound.
func (s *Store) RemoveManager(ctx context.Context, customerID int64, userRef string) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM customer_managers WHERE customer_id = $1 AND lms_user_ref = $2`, customerID, userRef)
	if err != nil {
		return mapErr(err, "remove manager")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mapErr(sql.ErrNoRows, "remove manager")
	}
	return nil
}

// Invitation asks a person, by e-mail, to become a manager of a customer.
// It works once, before it expires, for the user signed in with that
// e-mail.
type Invitation struct {
	ID         int64
	CustomerID int64
	Email      string
	InvitedBy  string // LMS user ref
	ExpiresAt  time.Time
	CreatedAt  time.Time
	AcceptedAt time.Time
	AcceptedBy string // LMS user ref
	RevokedAt  time.Time
}

const invitationColumns = `id, customer_id, email, invited_by, expires_at, created_at, accepted_at, accepted_by, revoked_at`

func scanInvitation(row rowScanner) (*Invitation, error) {
	var inv Invitation
	var accepted, revoked sql.NullTime
	var by sql.NullString
	err := row.Scan(&inv.ID, &inv.CustomerID, &inv.Email, &inv.InvitedBy, &inv.ExpiresAt, &inv.CreatedAt, &accepted, &by, &revoked)
	inv.AcceptedAt, inv.AcceptedBy, inv.RevokedAt = accepted.Time, by.String, revoked.Time
	return &inv, err
}

// pendingInvitation is the condition on an invitation that may still be
// accepted at time $n.
func pendingInvitation(n string) string {
	return `accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ` + n
}

// CreateInvitation stores an invitation under the hash of its token and
// sets its ID, time and expiry, lifetime from now.
func (s *Store) CreateInvitation(ctx context.Context, tokenHash string, inv *Invitation, lifetime time.Duration) error {
	inv.CreatedAt = s.now()
	inv.ExpiresAt = inv.CreatedAt.Add(lifetime)
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO customer_invitations (customer_id, email, email_norm, token_hash, invited_by, expires_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		inv.CustomerID, inv.Email, mailaddr.Normalize(inv.Email), tokenHash, inv.InvitedBy, inv.ExpiresAt, inv.CreatedAt).Scan(&inv.ID)
	return mapErr(err, "create invitation")
}

// CountInvitations returns how many invitations a customer sent within
// the last period, to email only when it is not empty, for rate limiting.
func (s *Store) CountInvitations(ctx context.Context, customerID int64, email string, within time.Duration) (int, error) {
	since := s.now().Add(-within)
	var n int
	err := s.r().QueryRowContext(ctx,
		`SELECT count(*) FROM customer_invitations WHERE customer_id = $1 AND created_at > $2 AND ($3 = '' OR email_norm = $3)`,
		customerID, since, mailaddr.Normalize(email)).Scan(&n)
	return n, mapErr(err, "count invitations")
}

// PendingInvitation returns the invitation of a shop's customer with that
// token hash, if it may still be accepted; ErrNotFound otherwise.
func (s *Store) PendingInvitation(ctx context.Context, shopID int64, tokenHash string) (*Invitation, error) {
	inv, err := scanInvitation(s.r().QueryRowContext(ctx,
		`SELECT `+invitationColumns+` FROM customer_invitations
		 WHERE token_hash = $1 AND customer_id IN (SELECT id FROM customers WHERE shop_id = $2) AND `+pendingInvitation("$3"),
		tokenHash, shopID, s.now()))
	if err != nil {
		return nil, mapErr(err, "invitation")
	}
	return inv, nil
}

// PendingInvitations returns a customer's invitations that may still be
// accepted, oldest first.
func (s *Store) PendingInvitations(ctx context.Context, customerID int64) ([]*Invitation, error) {
	return queryAll(ctx, s.r(), "invitations", scanInvitation,
		`SELECT `+invitationColumns+` FROM customer_invitations WHERE customer_id = $1 AND `+pendingInvitation("$2")+` ORDER BY created_at, id`,
		customerID, s.now())
}

// AcceptInvitation consumes a pending invitation of a shop's customer for
// userRef, who becomes a manager of the customer (unless they already own
// or manage it). A used, revoked, expired or unknown invitation gives
// ErrNotFound: an invitation works once.
func (s *Store) AcceptInvitation(ctx context.Context, shopID int64, tokenHash, userRef string) (*Invitation, error) {
	var inv *Invitation
	err := s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		var err error
		inv, err = scanInvitation(tx.w().QueryRowContext(ctx,
			`UPDATE customer_invitations SET accepted_at = $1, accepted_by = $2
			 WHERE token_hash = $3 AND customer_id IN (SELECT id FROM customers WHERE shop_id = $4) AND `+pendingInvitation("$1")+`
			 RETURNING `+invitationColumns, now, userRef, tokenHash, shopID))
		if err != nil {
			return mapErr(err, "accept invitation")
		}
		var owned int
		if err := tx.r().QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = $1 AND lms_user_ref = $2`, inv.CustomerID, userRef).Scan(&owned); err != nil {
			return mapErr(err, "accept invitation")
		}
		if owned > 0 {
			return nil
		}
		_, err = tx.w().ExecContext(ctx,
			`INSERT INTO customer_managers (customer_id, lms_user_ref, invited_by, created_at) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (customer_id, lms_user_ref) DO NOTHING`, inv.CustomerID, userRef, inv.InvitedBy, now)
		return mapErr(err, "add manager")
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// RevokeInvitation withdraws a customer's pending invitation; one that is
// not pending, or not the customer's, gives ErrNotFound.
func (s *Store) RevokeInvitation(ctx context.Context, customerID, id int64) (*Invitation, error) {
	now := s.now()
	inv, err := scanInvitation(s.w().QueryRowContext(ctx,
		`UPDATE customer_invitations SET revoked_at = $1 WHERE id = $2 AND customer_id = $3 AND `+pendingInvitation("$1")+`
		 RETURNING `+invitationColumns, now, id, customerID))
	if err != nil {
		return nil, mapErr(err, "revoke invitation")
	}
	return inv, nil
}
