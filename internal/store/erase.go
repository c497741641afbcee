package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"courseshop/internal/customer"
	"courseshop/internal/mailaddr"
	"courseshop/internal/order"
)

// AccountServesOthers reports whether the LMS account ref on platform site
// (lms.ShopSite.Key) is still of use to a customer other than customerID,
// of any shop on that platform: bound to it, or the learner of one of its
// live product instances (a seat, an enrolment). Such an account is not
// suspended when customerID's data is erased.
func (s *Store) AccountServesOthers(ctx context.Context, site, ref string, customerID int64) (bool, error) {
	var n int
	err := s.r().QueryRowContext(ctx,
		`SELECT (SELECT count(*) FROM customers c JOIN shops s ON s.id = c.shop_id
		          WHERE c.lms_user_ref = $1 AND c.id <> $2 AND `+siteOfShop+` = $9)
		      + (SELECT count(*) FROM product_instances i JOIN customers c ON c.id = i.customer_id JOIN shops s ON s.id = c.shop_id
		          WHERE i.customer_id <> $2 AND i.deleted = $3 AND i.state IN ($4, $5, $6) AND `+siteOfShop+` = $9
		            AND (i.seat_learner_ref = $1 OR (i.lms_object_type = $7 AND i.lms_object_ref LIKE $8)))`,
		ref, customerID, false, InstancePending, InstanceRunning, InstanceExpiring, LMSObjectEnrolment, "%:"+ref, site).Scan(&n)
	return n > 0, mapErr(err, "uses of LMS account "+ref)
}

// Erasure is a customer's erasure (rule C8) as EraseCustomer writes it:
// the records whose personal data the domain's rules have already removed
// (order.Order.ErasePersonalData, production.ErasePersonalData), and what
// the store clears by itself.
type Erasure struct {
	Customer       *customer.Customer
	Orders         []*order.Order // every order of the customer, erased
	Instances      []*Instance    // every product instance of the customer, erased
	InstanceEvents []InstanceEvent
	// CartTokenHash is the cart of the browser that asked, if any: a
	// cart holds what its checkout typed, and carts name no customer
	// until placed.
	CartTokenHash string
}

// ErasureCounts says what EraseCustomer cleared besides the records it
// was given, for the audit trail.
type ErasureCounts struct {
	Messages     int64 `json:"support_messages"`
	Carts        int64 `json:"carts"`
	Mails        int64 `json:"mails"`
	SigninTokens int64 `json:"signin_links"`
	Managers     int64 `json:"managers"`
	Jobs         int64 `json:"production_jobs"`
	OrderEvents  int64 `json:"production_events"`
	Documents    int64 `json:"documents"`
}

// erasedEmailNorm is the placeholder of an erased customer's normalised
// e-mail: unique per customer, never a normalised address (no "@"), so
// that the address is free for a new customer.
func erasedEmailNorm(id int64) string { return "erased:" + strconv.FormatInt(id, 10) }

// ErasedEvent is the message left on the production events of an erased
// customer's orders, which named accounts and e-mails.
const ErasedEvent = "details erased with the customer's personal data"

// EraseCustomer removes a customer's personal data in one transaction:
//
//   - the customer record keeps its ID, shop, locale and dates; its
//     contact details and invoicing identity are emptied, its e-mail key
//     freed (the address may buy again as a new customer), its LMS
//     account unbound, and it is marked erased (erased_at);
//   - e.Orders, e.Instances and e.InstanceEvents are written as given;
//     the orders stay the customer's (their totals still count);
//   - the bodies of the customer's support messages are emptied;
//   - production events and jobs of their orders lose their details
//     (accounts, e-mails);
//   - the customer's private documents, managers, carts (and the cart of
//     e.CartTokenHash), sign-in links, and the outbox mails to their
//     address or about their orders, messages or account (but one being
//     sent) are deleted.
//
// A customer erased already gives ErrNotFound.
func (s *Store) EraseCustomer(ctx context.Context, e *Erasure) (*ErasureCounts, error) {
	c := e.Customer
	var n ErasureCounts
	err := s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		// The mails go first: they are found by the customer's address
		// and account, which the customer record is about to forget.
		res, err := tx.w().ExecContext(ctx,
			`DELETE FROM outbox WHERE status <> 'sending' AND (lower(to_addr) = $1 OR to_addr = $2
			   OR (ref_type = 'order' AND ref_id IN (SELECT CAST(id AS TEXT) FROM orders WHERE customer_id = $3))
			   OR (ref_type = 'support_message' AND ref_id IN (SELECT CAST(id AS TEXT) FROM support_messages WHERE customer_id = $3))
			   OR (ref_type = 'lms_user' AND ref_id = $4))`,
			mailaddr.Normalize(c.Email), c.Email, c.ID, c.LMSUserRef)
		if n.Mails, err = affected(res, err, "erase mails"); err != nil {
			return err
		}
		res, err = tx.w().ExecContext(ctx, `DELETE FROM signin_tokens WHERE shop_id = $1 AND (email_norm = $2 OR lms_user_ref = $3)`,
			c.ShopID, mailaddr.Normalize(c.Email), c.LMSUserRef)
		if n.SigninTokens, err = affected(res, err, "erase sign-in links"); err != nil {
			return err
		}
		res, err = tx.w().ExecContext(ctx,
			`UPDATE customers SET email = '', email_norm = $1, first_name = '', last_name = '', organisation = '', address = '',
			   zip = '', city = '', country = '', phone = '', invoicing = '{}', lms_user_ref = NULL, bound_at = NULL,
			   erased_at = $2, updated_at = $2
			 WHERE id = $3 AND erased_at IS NULL`, erasedEmailNorm(c.ID), now, c.ID)
		if err := changedOne(res, err, fmt.Sprintf("erase customer %d", c.ID), ErrNotFound); err != nil {
			return err
		}
		for _, o := range e.Orders {
			if err := tx.writeErasedOrder(ctx, c.ID, o, now); err != nil {
				return err
			}
		}
		for _, in := range e.Instances {
			b, err := json.Marshal(in.Data)
			if err != nil {
				return fmt.Errorf("store: instance %s data: %w", in.Reference, err)
			}
			res, err := tx.w().ExecContext(ctx, `UPDATE product_instances SET data = $1, updated_at = $2 WHERE id = $3 AND customer_id = $4`,
				string(b), now, in.ID, c.ID)
			if err := changedOne(res, err, "erase instance "+in.Reference, ErrNotFound); err != nil {
				return err
			}
		}
		for _, ev := range e.InstanceEvents {
			b, err := json.Marshal(ev.Data)
			if err != nil {
				return fmt.Errorf("store: instance event %d data: %w", ev.ID, err)
			}
			res, err := tx.w().ExecContext(ctx,
				`UPDATE product_events SET data = $1 WHERE id = $2 AND instance_id IN (SELECT id FROM product_instances WHERE customer_id = $3)`,
				string(b), ev.ID, c.ID)
			if err := changedOne(res, err, fmt.Sprintf("erase instance event %d", ev.ID), ErrNotFound); err != nil {
				return err
			}
		}
		for _, x := range []struct {
			dst  *int64
			what string
			q    string
			args []any
		}{
			{&n.Messages, "erase support messages", `UPDATE support_messages SET body = '' WHERE customer_id = $1`, []any{c.ID}},
			{&n.OrderEvents, "erase production events",
				`UPDATE order_events SET message = $1, data = '{}' WHERE kind = $2 AND order_id IN (SELECT id FROM orders WHERE customer_id = $3)`,
				[]any{ErasedEvent, string(order.EventProduction), c.ID}},
			{&n.Jobs, "erase production jobs",
				`UPDATE jobs SET progress = '{}', last_error = '', updated_at = $1 WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $2)`,
				[]any{now, c.ID}},
			{&n.Documents, "erase documents", `DELETE FROM customer_documents WHERE customer_id = $1`, []any{c.ID}},
			{&n.Managers, "erase managers", `DELETE FROM customer_managers WHERE customer_id = $1`, []any{c.ID}},
			{&n.Carts, "erase carts", `DELETE FROM carts WHERE customer_id = $1 OR (shop_id = $2 AND token = $3)`,
				[]any{c.ID, c.ShopID, e.CartTokenHash}},
		} {
			res, err := tx.w().ExecContext(ctx, x.q, x.args...)
			if *x.dst, err = affected(res, err, x.what); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// writeErasedOrder writes the identities, buyer account and line
// snapshots of an erased order of customer customerID.
func (s *Store) writeErasedOrder(ctx context.Context, customerID int64, o *order.Order, now time.Time) error {
	cols, err := orderJSON(o)
	if err != nil {
		return err
	}
	res, err := s.w().ExecContext(ctx,
		`UPDATE orders SET customer_snapshot = $1, invoicing_snapshot = $2, lms_user_ref = $3, updated_at = $4
		 WHERE id = $5 AND customer_id = $6`,
		cols.customer, cols.invoicing, nullText(o.LMSUserRef), now, o.ID, customerID)
	if err := changedOne(res, err, "erase order "+o.Number, ErrNotFound); err != nil {
		return err
	}
	for _, l := range o.Lines {
		snap, err := json.Marshal(l.Snapshot)
		if err != nil {
			return fmt.Errorf("store: order %s line %d snapshot: %w", o.Number, l.Position, err)
		}
		res, err := s.w().ExecContext(ctx, `UPDATE order_lines SET snapshot = $1, updated_at = $2 WHERE id = $3 AND order_id = $4`,
			string(snap), now, l.ID, o.ID)
		if err := changedOne(res, err, fmt.Sprintf("erase order %s line %d", o.Number, l.Position), ErrNotFound); err != nil {
			return err
		}
	}
	return nil
}

// affected returns how many rows a statement changed.
func affected(res sql.Result, err error, what string) (int64, error) {
	if err != nil {
		return 0, mapErr(err, what)
	}
	n, err := res.RowsAffected()
	return n, mapErr(err, what)
}
