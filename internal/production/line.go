package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"courseshop/internal/order"
	"courseshop/internal/store"
)

// runLine produces one line: the handler of each of its units (the line's
// product, or the elements of a bundle), then, in one transaction with the
// job marked done, the instances, the mails, the line's status, the
// timeline entry and, when it was the last line, the order's COMPLETE.
func (e *Engine) runLine(ctx context.Context, j *store.Job) error {
	var p linePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return permanent(fmt.Errorf("payload: %w", err))
	}
	o, err := e.store.OrderByID(ctx, j.OrderID)
	if err != nil {
		return err
	}
	var line *order.Line
	for i := range o.Lines {
		if o.Lines[i].ID == p.LineID {
			line = &o.Lines[i]
		}
	}
	if line == nil {
		return permanent(fmt.Errorf("%w: line %d of order %s", store.ErrNotFound, p.LineID, o.Number))
	}
	conn, err := e.lmsOf(ctx, o.ShopID)
	if err != nil {
		return err
	}
	buyer, err := conn.UserByRef(ctx, p.BuyerRef)
	if err != nil {
		return fmt.Errorf("buyer account %s: %w", p.BuyerRef, err)
	}
	// What earlier attempts recorded is not produced again.
	have, err := e.store.InstancesOfLine(ctx, line.ID)
	if err != nil {
		return err
	}
	existing := map[string]bool{}
	for _, in := range have {
		existing[in.UnitKey] = true
	}
	now := e.now()
	base := lineBase(p.Base, now)
	var (
		instances []*store.Instance
		extended  []extension
		mails     []pendingMail
		notes     []string
	)
	for _, u := range p.Units {
		h, ok := e.handlers.Handler(u.Handler)
		if !ok {
			return permanent(fmt.Errorf("%w: %q (%s)", ErrUnknownHandler, u.Handler, u.Code))
		}
		t := &Task{Order: o, Line: line, Unit: u, Buyer: buyer, Base: base, Now: now, LMS: conn, engine: e, job: j, existing: existing}
		ins, err := h.Produce(ctx, t)
		if err != nil {
			return fmt.Errorf("%s: %w", u.Code, err)
		}
		instances = append(instances, ins...)
		extended = append(extended, t.extended...)
		mails = append(mails, t.mails...)
		notes = append(notes, t.notes...)
	}

	if e.crash != nil && e.crash(j) {
		return errCrashed
	}
	return e.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockOrder(ctx, o.ID); err != nil {
			return err
		}
		if err := tx.MarkJobDone(ctx, j); err != nil {
			return err
		}
		refs := make([]string, 0, len(instances))
		for _, in := range instances {
			if in.CustomerID == 0 {
				// An order without a customer account (back office)
				// produces in the LMS but owns no instance.
				continue
			}
			if err := tx.CreateInstance(ctx, in, Actor); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("instance %s of line %d exists: %w", in.UnitKey, line.ID, err)
				}
				return err
			}
			refs = append(refs, in.Reference)
		}
		for _, x := range extended {
			// Another line extended it since it was read: the job is
			// tried again, and computes from the new end.
			if err := tx.ExtendInstance(ctx, x.in, x.prevLine, x.ev); err != nil {
				return err
			}
		}
		if err := e.queueMails(ctx, tx, mails); err != nil {
			return err
		}
		if err := tx.SetLineProduction(ctx, line.ID, order.ProductionDone, ""); err != nil {
			return err
		}
		msg := fmt.Sprintf("line %d (%s): produced", p.Position, p.Code)
		if len(notes) > 0 {
			msg += ": " + strings.Join(notes, "; ")
		}
		if err := tx.AddOrderEvent(ctx, &order.Event{OrderID: o.ID, At: now, Actor: Actor, Kind: order.EventProduction, Message: msg,
			Data: map[string]string{"job": strconv.FormatInt(j.ID, 10), "phase": KindLine, "line": strconv.Itoa(p.Position),
				"attempt": strconv.Itoa(j.Attempts), "outcome": "done", "instances": strings.Join(refs, " ")}}); err != nil {
			return err
		}
		return e.complete(ctx, tx, o.ID)
	})
}
