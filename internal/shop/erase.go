package shop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/customer"
	"courseshop/internal/mailaddr"
	"courseshop/internal/order"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// OrdersInProgressError refuses an erasure while orders of the customer
// are still moving: an unpaid order may yet be paid, a paid one is being
// produced or refunded, and each needs whom it is for.
type OrdersInProgressError struct {
	Numbers []string
}

func (e *OrdersInProgressError) Error() string {
	return "orders in progress: " + strings.Join(e.Numbers, ", ")
}

// ErrLMSUnavailable is returned when the LMS could not suspend the
// customer's account: nothing was erased, and asking again is safe.
var ErrLMSUnavailable = errors.New("the learning platform did not answer")

// Erasure is what EraseMyData did, as the audit trail records it.
type Erasure struct {
	Orders int `json:"orders"`
	// InvoicesKept are the invoices whose invoicing identity is kept, as
	// the law requires (order.Order.ErasePersonalData).
	InvoicesKept []string `json:"invoices_kept"`
	Products     int      `json:"products"`
	store.ErasureCounts
	LMSAccount string `json:"lms_account"`
	// LMSSuspended tells whether the account was suspended: only one the
	// shop created is, unless it still serves another customer; LMSKept
	// says why it was not.
	LMSSuspended bool   `json:"lms_account_suspended"`
	LMSKept      string `json:"lms_account_kept,omitempty"`
}

// EraseMyData erases the personal data of the signed-in buyer's customer
// in the shop ("erase my data", rules C7 and C8), once they confirm by
// typing their e-mail again; a mismatch comes back as a problem and
// changes nothing. Only the customer's own user may erase it.
//
// While an order is in progress (not complete or cancelled) nothing is
// erased (OrdersInProgressError). Otherwise the LMS account bound to the
// customer is suspended first when the shop created it
// (store.ShopAccountByRef; an account the person had before stays as
// it is, theirs) and no other customer uses it: should the LMS fail, nothing is erased
// (ErrLMSUnavailable) and asking again is safe, whereas suspending after
// the erasure could leave an account open that nothing would close. Then
// one transaction anonymises the customer, their orders (an invoice keeps
// what the law requires: see order.Order.ErasePersonalData), products,
// messages, documents, carts and mails (store.EraseCustomer), and records
// "customer.erase_data" in the audit trail with what was done.
//
// cartToken is the cart of the browser that asked, erased with the rest.
// The caller signs the user out: the customer is nobody's any more.
func (s *Service) EraseMyData(ctx context.Context, shopCode string, b Buyer, confirmEmail, cartToken, ip string) (*Erasure, []customer.Problem, error) {
	c, cust, err := s.ownCustomer(ctx, shopCode, b)
	if err != nil {
		return nil, nil, err
	}
	if cust.LMSUserRef != b.UserRef {
		// The customer's own user alone: not a manager of an
		// organisation's customer (C9).
		return nil, nil, ErrForbidden
	}
	if mailaddr.Normalize(confirmEmail) != mailaddr.Normalize(cust.Email) {
		return nil, []customer.Problem{{Field: "confirm_email", Key: "erase.confirm_mismatch"}}, nil
	}
	os, err := s.Store.OrdersOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, nil, err
	}
	if err := ordersInProgress(os); err != nil {
		return nil, nil, err
	}

	done := &Erasure{LMSAccount: cust.LMSUserRef, InvoicesKept: []string{}}
	if done.LMSKept, err = s.keepAccount(ctx, c.shop.Site().Key(), cust.LMSUserRef, cust.ID); err != nil {
		return nil, nil, err
	}
	if done.LMSKept == "" {
		conn, err := s.lmsOf(c.shop)
		if err != nil {
			return nil, nil, err
		}
		if err := conn.SetSuspended(ctx, cust.LMSUserRef, true); err != nil {
			return nil, nil, fmt.Errorf("%w: suspend account %s: %w", ErrLMSUnavailable, cust.LMSUserRef, err)
		}
		done.LMSSuspended = true
	}

	cartHash := ""
	if cartToken != "" {
		cartHash = bearer.Hash(cartToken)
	}
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		if done.LMSSuspended {
			// The shop suspended it: a new purchase with the address
			// reactivates it (rule C8).
			if _, _, err := tx.MarkShopAccountSuspended(ctx, c.shop.Site().Key(), cust.LMSUserRef, time.Time{}); err != nil {
				return err
			}
		}
		// Read again under the transaction: what is erased is what is
		// there when it commits.
		e := &store.Erasure{Customer: cust, CartTokenHash: cartHash}
		var err error
		if e.Orders, err = tx.OrdersOfCustomer(ctx, cust.ID); err != nil {
			return err
		}
		if err := ordersInProgress(e.Orders); err != nil {
			return err
		}
		done.InvoicesKept = done.InvoicesKept[:0]
		for _, o := range e.Orders {
			o.ErasePersonalData()
			if !o.InvoiceIdentity().IsZero() {
				done.InvoicesKept = append(done.InvoicesKept, o.InvoiceNumber)
			}
		}
		if e.Instances, err = tx.InstancesOfCustomer(ctx, cust.ID); err != nil {
			return err
		}
		for _, in := range e.Instances {
			production.ErasePersonalData(in)
		}
		if e.InstanceEvents, err = tx.CustomerInstanceEvents(ctx, cust.ID); err != nil {
			return err
		}
		for i := range e.InstanceEvents {
			production.ErasePersonalEventData(&e.InstanceEvents[i])
		}
		counts, err := tx.EraseCustomer(ctx, e)
		if err != nil {
			return err
		}
		done.Orders, done.Products, done.ErasureCounts = len(e.Orders), len(e.Instances), *counts
		data, err := json.Marshal(done)
		if err != nil {
			return err
		}
		return tx.AddAudit(ctx, &store.AuditEvent{Actor: customerActor(cust.ID), Action: "customer.erase_data", ObjectType: "customer",
			ObjectID: strconv.FormatInt(cust.ID, 10), IP: ip, Data: data})
	})
	if err != nil {
		return nil, nil, err
	}
	return done, nil, nil
}

// keepAccount says why the LMS account ref, on platform site, of an erased
// customer stays open, or "" when it is to be suspended: an account the
// shop did not create is its owner's, and one that another customer still
// uses (their own, or their learner's) serves them.
func (s *Service) keepAccount(ctx context.Context, site, ref string, customerID int64) (string, error) {
	_, err := s.Store.ShopAccountByRef(ctx, site, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "not created by the shop", nil
	case err != nil:
		return "", err
	}
	others, err := s.Store.AccountServesOthers(ctx, site, ref, customerID)
	if err != nil || !others {
		return "", err
	}
	return "used by another customer", nil
}

// ordersInProgress refuses the orders that are neither complete nor
// cancelled.
func ordersInProgress(os []*order.Order) error {
	var numbers []string
	for _, o := range os {
		if !o.Status.Final() {
			numbers = append(numbers, o.Number)
		}
	}
	if len(numbers) > 0 {
		return &OrdersInProgressError{Numbers: numbers}
	}
	return nil
}
