package production

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/mail"
	"courseshop/internal/store"
)

// remindRenewals mails the customer of each enrolment of a renewable
// product that ends within Options.ReminderDays, once per instance and end
// date (an extended enrolment is reminded again before its new end). The
// mail and the "renewal_reminder" event commit together, under the
// instance's lock, so that two passes never send it twice.
func (e *Engine) remindRenewals(ctx context.Context) (int, error) {
	now := e.now()
	due, err := e.store.RenewalsDue(ctx, now, now.AddDate(0, 0, e.opt.ReminderDays))
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	var errs []error
	for _, in := range due {
		sent, err := e.remind(ctx, in, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", in.Reference, err))
		}
		if sent {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// remind sends one renewal reminder, unless one was sent for in's current
// end date.
func (e *Engine) remind(ctx context.Context, in *store.Instance, now time.Time) (bool, error) {
	end := in.End.UTC().Format(time.RFC3339)
	if sent, err := reminded(ctx, e.store, in.ID, end); err != nil || sent {
		return false, err
	}
	c, err := e.store.CustomerByID(ctx, in.CustomerID)
	if err != nil {
		return false, err
	}
	sh, err := e.store.ShopByID(ctx, c.ShopID)
	if err != nil {
		return false, err
	}
	texts, err := e.store.ProductTexts(ctx, in.ProductID)
	if err != nil {
		return false, err
	}
	lang := e.outbox.Renderer().Lang(c.Locale)
	data := mail.RenewalReminder{ShopName: sh.Name, CustomerName: strings.TrimSpace(c.FirstName + " " + c.LastName),
		Product: cmp.Or(texts.In(lang, sh.DefaultLocale).Name, in.Data["code"]), Course: cmp.Or(in.Data["course_name"], in.Data["course"]),
		Learner: in.Data["learner"], Reference: in.Reference, End: in.End,
		AccountURL: strings.TrimSuffix(e.opt.ShopURL, "/") + "/shop/" + sh.Code + "/account"}
	sent := false
	err = e.store.InTx(ctx, func(tx *store.Store) error {
		sent = false
		if err := tx.LockInstance(ctx, in.ID); err != nil {
			return err
		}
		// Checked again under the lock: another pass may have sent it
		// since the check above.
		if done, err := reminded(ctx, tx, in.ID, end); err != nil || done {
			return err
		}
		if _, err := e.outbox.Queue(ctx, tx, mail.KindRenewalReminder, c.Locale, c.Email, data,
			mail.Ref{Type: "customer", ID: strconv.FormatInt(c.ID, 10)}, c.ShopID); err != nil {
			return err
		}
		sent = true
		return tx.AddInstanceEvent(ctx, &store.InstanceEvent{InstanceID: in.ID, Kind: store.InstanceEventRenewalReminder, At: now,
			Actor: LifecycleActor, Data: map[string]string{"end": end, "email": c.Email}})
	})
	return sent, err
}

// reminded reports whether the instance's customer was reminded for the
// end date end (RFC 3339).
func reminded(ctx context.Context, st *store.Store, instanceID int64, end string) (bool, error) {
	evs, err := st.InstanceEvents(ctx, instanceID)
	if err != nil {
		return false, err
	}
	for _, ev := range evs {
		if ev.Kind == store.InstanceEventRenewalReminder && ev.Data["end"] == end {
			return true, nil
		}
	}
	return false, nil
}
