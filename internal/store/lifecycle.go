package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"courseshop/internal/catalog"
)

// Instance event kinds of an instance's life after production.
const (
	InstanceEventStateChanged    = "state_changed"    // the lifecycle pass moved it (data: from, to)
	InstanceEventSoftDeleted     = "soft_deleted"     // its LMS effect disabled, restorable
	InstanceEventRestored        = "restored"         // a soft deletion undone
	InstanceEventDeleted         = "deleted"          // its LMS effect removed for good
	InstanceEventRenewalReminder = "renewal_reminder" // its customer reminded to renew (data: end)
)

// ErrInstanceChanged is returned by ChangeInstance and ExtendInstance when
// the instance is no longer as the caller read it (another change won).
var ErrInstanceChanged = errors.New("store: instance changed meanwhile")

// ChangeInstance writes in's state, deleted flag and data, provided the
// instance still has the state and deleted flag it was read with (from,
// fromDeleted) and the dates in holds, and appends ev (its InstanceID set)
// to its history, in one transaction. An instance changed meanwhile (a
// seat assigned, a period extended, another deletion) gives
// ErrInstanceChanged and changes nothing.
func (s *Store) ChangeInstance(ctx context.Context, in *Instance, from InstanceState, fromDeleted bool, ev *InstanceEvent) error {
	data := in.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: instance data: %w", err)
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		res, err := tx.w().ExecContext(ctx,
			`UPDATE product_instances SET state = $1, deleted = $2, data = $3, updated_at = $4
			 WHERE id = $5 AND state = $6 AND deleted = $7
			   AND start_at IS NOT DISTINCT FROM $8 AND end_at IS NOT DISTINCT FROM $9`,
			string(in.State), in.Deleted, string(b), now, in.ID, string(from), fromDeleted, nullTime(in.Start), nullTime(in.End))
		if err != nil {
			return mapErr(err, "change instance")
		}
		if n, err := res.RowsAffected(); err != nil {
			return mapErr(err, "change instance")
		} else if n == 0 {
			return fmt.Errorf("%w: %s", ErrInstanceChanged, in.Reference)
		}
		in.UpdatedAt = now
		if ev == nil {
			return nil
		}
		ev.InstanceID = in.ID
		return tx.AddInstanceEvent(ctx, ev)
	})
}

// LockInstance takes the instance's row lock for the rest of the
// transaction, so that what the transaction reads of it next (its events)
// stays true until it commits. On SQLite the transaction already holds the
// database's write lock.
func (s *Store) LockInstance(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `UPDATE product_instances SET updated_at = updated_at WHERE id = $1`, id)
	return changedOne(res, err, fmt.Sprintf("lock instance %d", id), ErrNotFound)
}

// InstancesToRestate returns the instances, not deleted, whose state may
// no longer match their dates at now, an instance ending at or before soon
// being "expiring": pending ones that started, running ones ending by
// soon, expiring ones ended or extended, expired ones extended. Free seats
// (no dates) are never among them.
func (s *Store) InstancesToRestate(ctx context.Context, now, soon time.Time) ([]*Instance, error) {
	return s.instances(ctx, "instances to restate",
		`deleted = $1 AND (
		   (state = 'pending' AND start_at <= $2)
		   OR (state IN ('running', 'expiring', 'expired') AND start_at > $2)
		   OR (state = 'running' AND end_at <= $3)
		   OR (state = 'expiring' AND (end_at IS NULL OR end_at > $3 OR end_at <= $2))
		   OR (state = 'expired' AND (end_at IS NULL OR end_at > $2)))`,
		false, dbTime(now), dbTime(soon))
}

// InstancesWithLMSRef returns the instances, deleted ones included, of
// one of types that stand for the LMS object ref, other than instance
// except: the other holders of an enrolment or a role.
func (s *Store) InstancesWithLMSRef(ctx context.Context, ref string, except int64, types ...string) ([]*Instance, error) {
	args := []any{ref, except}
	for _, t := range types {
		args = append(args, t)
	}
	return s.instances(ctx, "instances of an LMS object",
		`lms_object_ref = $1 AND id <> $2 AND lms_object_type IN (`+placeholders(3, len(types))+`)`, args...)
}

// RenewalsDue returns the enrolment instances, not deleted, of renewable
// products that end after now and at or before until, whose customer was
// not erased: those whose customer may be reminded to renew.
func (s *Store) RenewalsDue(ctx context.Context, now, until time.Time) ([]*Instance, error) {
	return s.instances(ctx, "renewals due",
		`deleted = $1 AND lms_object_type = $2 AND end_at > $3 AND end_at <= $4
		 AND product_id IN (SELECT id FROM products WHERE renewable = $5)
		 AND customer_id IN (SELECT id FROM customers WHERE erased_at IS NULL)`,
		false, LMSObjectEnrolment, dbTime(now), dbTime(until), true)
}

// ProductTexts returns a product's wording in every language it has.
func (s *Store) ProductTexts(ctx context.Context, productID int64) (catalog.Texts, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT locale, name FROM product_texts WHERE product_id = $1`, productID)
	if err != nil {
		return nil, mapErr(err, "product texts")
	}
	defer rows.Close()
	out := catalog.Texts{}
	for rows.Next() {
		var lang string
		var t catalog.Text
		if err := rows.Scan(&lang, &t.Name); err != nil {
			return nil, mapErr(err, "product texts")
		}
		out[lang] = t
	}
	return out, mapErr(rows.Err(), "product texts")
}

// Roles of the LMS accounts the shop created (shop_lms_accounts.role).
const (
	CreatedForBuyer   = "buyer"   // a customer's own account
	CreatedForLearner = "learner" // a learner's, for one of a customer's orders or seats
)

// ShopAccount is an LMS account the shop created (rule C8), and for whom.
type ShopAccount struct {
	// Site is the platform the account is on (lms.ShopSite.Key of its
	// shop; "" when recorded before shops had sites): with UserRef, the
	// record's key, as account ids are unique on one platform only.
	Site       string
	UserRef    string
	ShopID     int64  // the shop whose LMS holds it; 0: unknown (recorded before shops had sites)
	CustomerID int64  // whom it was made for; 0: none, or the customer is gone
	Role       string // CreatedForBuyer or CreatedForLearner
	// CreatedAt is when the shop recorded the account.
	CreatedAt time.Time
	// ActiveSince is when the account was created or last given
	// something: the grace period before suspension runs from it too.
	ActiveSince time.Time
	// SuspendedAt is when the shop suspended the account; zero while the
	// shop holds it active.
	SuspendedAt time.Time
}

const shopAccountColumns = `site, user_ref, shop_id, customer_id, role, created_at, active_since, suspended_at`

func scanShopAccount(row rowScanner) (*ShopAccount, error) {
	var a ShopAccount
	var shop, cust sql.NullInt64
	var suspended sql.NullTime
	if err := row.Scan(&a.Site, &a.UserRef, &shop, &cust, &a.Role, &a.CreatedAt, &a.ActiveSince, &suspended); err != nil {
		return nil, err
	}
	a.ShopID, a.CustomerID, a.SuspendedAt = shop.Int64, cust.Int64, suspended.Time
	return &a, nil
}

// RecordShopAccount records that the LMS of shop a.ShopID, on platform
// a.Site, created the account a.UserRef for a.CustomerID in a.Role, active
// from now on, and sets a.CreatedAt and a.ActiveSince. Recording it again
// changes nothing: the first record says whom it was made for.
func (s *Store) RecordShopAccount(ctx context.Context, a *ShopAccount) error {
	if a.UserRef == "" {
		return fmt.Errorf("%w: record shop account: no user", ErrConstraint)
	}
	a.CreatedAt = s.now()
	a.ActiveSince = a.CreatedAt
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO shop_lms_accounts (site, user_ref, shop_id, customer_id, role, created_at, active_since) VALUES ($1, $2, $3, $4, $5, $6, $6)
		 ON CONFLICT (site, user_ref) DO NOTHING`,
		a.Site, a.UserRef, nullID(a.ShopID), nullID(a.CustomerID), cmp.Or(a.Role, CreatedForLearner), a.CreatedAt)
	return mapErr(err, "record shop account "+a.UserRef)
}

// ShopAccountByRef returns the record of the account ref on platform site
// that the shop created; ErrNotFound when the shop did not create it.
func (s *Store) ShopAccountByRef(ctx context.Context, site, ref string) (*ShopAccount, error) {
	a, err := scanShopAccount(s.r().QueryRowContext(ctx, `SELECT `+shopAccountColumns+` FROM shop_lms_accounts WHERE site = $1 AND user_ref = $2`, site, ref))
	return a, mapErr(err, "shop account "+ref)
}

// IdleShopAccounts returns the accounts the shop created and holds active
// whose ActiveSince is at or before cutoff, oldest first.
func (s *Store) IdleShopAccounts(ctx context.Context, cutoff time.Time) ([]*ShopAccount, error) {
	return queryAll(ctx, s.r(), "idle shop accounts", scanShopAccount,
		`SELECT `+shopAccountColumns+` FROM shop_lms_accounts WHERE suspended_at IS NULL AND active_since <= $1
		 ORDER BY active_since, site, user_ref`, dbTime(cutoff))
}

// TouchShopAccount records that the account ref on platform site was
// given something at now: it is active since then and no longer counted as
// suspended by the shop. An account the shop did not create is left alone.
func (s *Store) TouchShopAccount(ctx context.Context, site, ref string) error {
	_, err := s.w().ExecContext(ctx,
		`UPDATE shop_lms_accounts SET active_since = $3, suspended_at = NULL WHERE site = $1 AND user_ref = $2`, site, ref, s.now())
	return mapErr(err, "touch shop account "+ref)
}

// MarkShopAccountSuspended records that the shop suspends the account ref
// on platform site at now, provided it holds it active and, unless cutoff
// is zero (a suspension that does not wait for idleness, as when its owner
// has their data erased), it has been idle since cutoff (nothing touched it
// meanwhile). It reports whether it did.
func (s *Store) MarkShopAccountSuspended(ctx context.Context, site, ref string, cutoff time.Time) (time.Time, bool, error) {
	now := s.now()
	idle := ` AND active_since <= $4`
	args := []any{site, ref, now, dbTime(cutoff)}
	if cutoff.IsZero() {
		idle, args = "", args[:3]
	}
	res, err := s.w().ExecContext(ctx,
		`UPDATE shop_lms_accounts SET suspended_at = $3 WHERE site = $1 AND user_ref = $2 AND suspended_at IS NULL`+idle, args...)
	if err != nil {
		return time.Time{}, false, mapErr(err, "mark shop account suspended")
	}
	n, err := res.RowsAffected()
	return now, n == 1, mapErr(err, "mark shop account suspended")
}

// UnmarkShopAccountSuspended takes back MarkShopAccountSuspended's mark
// made at at, when the LMS refused the suspension.
func (s *Store) UnmarkShopAccountSuspended(ctx context.Context, site, ref string, at time.Time) error {
	_, err := s.w().ExecContext(ctx,
		`UPDATE shop_lms_accounts SET suspended_at = NULL WHERE site = $1 AND user_ref = $2 AND suspended_at = $3`, site, ref, dbTime(at))
	return mapErr(err, "unmark shop account suspended")
}

// AccountKey is an LMS account on its platform: account ids are unique on
// one platform only.
type AccountKey struct{ Site, UserRef string }

// siteOfShop is the SQL of lms.ShopSite.Key for the shop aliased s.
const siteOfShop = `s.lms_connector || ':' || s.moodle_url`

// AccountsInUse returns the LMS accounts that a product instance, not
// deleted and not ended at cutoff (no end, or an end after it), concerns:
// its customer's account and the customer's managers', and the learner it
// enrols or the user it gives a role to; each on its shop's platform.
func (s *Store) AccountsInUse(ctx context.Context, cutoff time.Time) (map[AccountKey]bool, error) {
	const what = "accounts in use"
	rows, err := s.r().QueryContext(ctx,
		`SELECT i.customer_id, `+siteOfShop+`, COALESCE(c.lms_user_ref, ''), i.lms_object_type, i.lms_object_ref, COALESCE(i.seat_learner_ref, '')
		 FROM product_instances i JOIN customers c ON c.id = i.customer_id JOIN shops s ON s.id = c.shop_id
		 WHERE i.deleted = $1 AND (i.end_at IS NULL OR i.end_at > $2)`, false, dbTime(cutoff))
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	out := map[AccountKey]bool{}
	customers := map[int64]string{} // the site of each customer with a product in use
	for rows.Next() {
		var customer int64
		var site, owner, kind, ref, learner string
		if err := rows.Scan(&customer, &site, &owner, &kind, &ref, &learner); err != nil {
			return nil, mapErr(err, what)
		}
		customers[customer] = site
		for _, u := range []string{owner, learner, objectUser(kind, ref)} {
			if u != "" {
				out[AccountKey{site, u}] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, what)
	}
	rows.Close()
	mrows, err := s.r().QueryContext(ctx, `SELECT customer_id, lms_user_ref FROM customer_managers`)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer mrows.Close()
	for mrows.Next() {
		var customer int64
		var ref string
		if err := mrows.Scan(&customer, &ref); err != nil {
			return nil, mapErr(err, what)
		}
		if site, ok := customers[customer]; ok {
			out[AccountKey{site, ref}] = true
		}
	}
	return out, mapErr(mrows.Err(), what)
}

// objectUser returns the user an instance's LMS object is about: the
// learner of an enrolment or a seat ("<course id>:<user ref>"), the user
// of a role ("<level>:<instance id>:<role>:<user ref>"); "" otherwise.
func objectUser(kind, ref string) string {
	switch kind {
	case LMSObjectEnrolment, LMSObjectSeat:
		_, user, _ := strings.Cut(ref, ":")
		return user
	case LMSObjectRole:
		if parts := strings.SplitN(ref, ":", 4); len(parts) == 4 {
			return parts[3]
		}
	}
	return ""
}
