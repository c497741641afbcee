package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// Audit actions on LMS accounts (object type "lms_user", object id the
// account's ref).
const (
	AuditAccountSuspended   = "lms_account_suspended"
	AuditAccountReactivated = "lms_account_reactivated"
)

// accountInUse notes that u, an account that existed before this job, is
// about to be given something (an order's products, a seat): when the
// shop created it, it is kept active, and reactivated when the shop had
// suspended it (rule C8). Accounts the shop did not create are left as
// they are.
func (e *Engine) accountInUse(ctx context.Context, conn lms.Connector, shopID int64, u *lms.User) error {
	site, err := e.siteOf(ctx, shopID)
	if err != nil {
		return err
	}
	a, err := e.store.ShopAccountByRef(ctx, site, u.Ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Only a suspension the shop made is undone: an account an LMS
	// administrator suspended stays so.
	reactivate := !a.SuspendedAt.IsZero() && u.Suspended
	if reactivate {
		if err := conn.SetSuspended(ctx, u.Ref, false); err != nil {
			return fmt.Errorf("reactivate account %s: %w", u.Username, err)
		}
		u.Suspended = false
	}
	// Touched even when active: a lifecycle pass suspending it at this
	// very moment sees the touch and takes its suspension back.
	return e.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.TouchShopAccount(ctx, site, u.Ref); err != nil {
			return err
		}
		if !reactivate {
			return nil
		}
		data, _ := json.Marshal(map[string]string{"username": u.Username, "suspended_at": a.SuspendedAt.Format(time.RFC3339)})
		return tx.AddAudit(ctx, &store.AuditEvent{Actor: Actor, Action: AuditAccountReactivated, ObjectType: "lms_user",
			ObjectID: u.Ref, Data: data})
	})
}

// suspendIdleAccounts suspends the LMS accounts the shop created that no
// product has concerned for Options.AccountGrace (rule C8): none of the
// products they own (as the customer's account or a manager's) or hold
// (as learner or role holder) is running or ended less than the grace
// ago, and they were not created or given something within it either.
func (e *Engine) suspendIdleAccounts(ctx context.Context) (int, error) {
	cutoff := e.now().Add(-e.opt.AccountGrace)
	idle, err := e.store.IdleShopAccounts(ctx, cutoff)
	if err != nil || len(idle) == 0 {
		return 0, err
	}
	inUse, err := e.store.AccountsInUse(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, a := range idle {
		if inUse[store.AccountKey{Site: a.Site, UserRef: a.UserRef}] {
			continue
		}
		done, err := e.suspendAccount(ctx, a, cutoff)
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.UserRef, err))
		}
		if done {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// lmsOfAccount returns the connector of the shop whose LMS created a.
// An account recorded without its shop (before shops had their own
// sites) is looked for in the default connector.
func (e *Engine) lmsOfAccount(ctx context.Context, a *store.ShopAccount) (lms.Connector, error) {
	if a.ShopID == 0 {
		return e.lms.For(lms.ShopSite{})
	}
	return e.lmsOf(ctx, a.ShopID)
}

// suspendAccount suspends one idle account. The shop's mark is written
// before the LMS call and checked after it: production touching the
// account meanwhile (accountInUse) wins, and the suspension is taken back.
func (e *Engine) suspendAccount(ctx context.Context, a *store.ShopAccount, cutoff time.Time) (bool, error) {
	conn, err := e.lmsOfAccount(ctx, a)
	if err != nil {
		return false, err
	}
	u, err := conn.UserByRef(ctx, a.UserRef)
	if errors.Is(err, lms.ErrNoUser) {
		return false, nil // deleted in the LMS: nothing to suspend
	}
	if err != nil {
		return false, err
	}
	if u.Suspended {
		return false, nil // suspended by someone else: theirs to undo, not the shop's
	}
	at, marked, err := e.store.MarkShopAccountSuspended(ctx, a.Site, a.UserRef, cutoff)
	if err != nil || !marked {
		return false, err
	}
	if err := conn.SetSuspended(ctx, u.Ref, true); err != nil {
		return false, errors.Join(fmt.Errorf("suspend %s: %w", u.Username, err), e.store.UnmarkShopAccountSuspended(ctx, a.Site, u.Ref, at))
	}
	cur, err := e.store.ShopAccountByRef(ctx, a.Site, u.Ref)
	if err != nil {
		return false, err
	}
	if !cur.SuspendedAt.Equal(at) {
		// Given something while the LMS was called: active it stays.
		return false, conn.SetSuspended(ctx, u.Ref, false)
	}
	data, _ := json.Marshal(map[string]string{"username": u.Username, "active_since": a.ActiveSince.Format(time.RFC3339),
		"grace": e.opt.AccountGrace.String()})
	return true, e.store.AddAudit(ctx, &store.AuditEvent{Actor: LifecycleActor, Action: AuditAccountSuspended, ObjectType: "lms_user",
		ObjectID: u.Ref, Data: data})
}
