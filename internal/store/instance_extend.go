package store

import (
	"context"
	"fmt"
)

// InstanceEventExtended is the event of an instance whose period an order
// line extended (renewal, prorogation).
const InstanceEventExtended = "extended"

// ExtendInstance writes in's end and state and makes ev's order line its
// current one, provided its current line is still prevLine (the one the
// caller read: another extension committed meanwhile would otherwise be
// lost), and appends ev (its InstanceID set) to its history, in one
// transaction. A changed instance gives ErrInstanceChanged.
func (s *Store) ExtendInstance(ctx context.Context, in *Instance, prevLine int64, ev *InstanceEvent) error {
	if ev == nil || ev.OrderLineID == 0 {
		return fmt.Errorf("%w: extend instance %d: no order line", ErrConstraint, in.ID)
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		res, err := tx.w().ExecContext(ctx,
			`UPDATE product_instances SET end_at = $1, state = $2, current_order_line_id = $3, updated_at = $4
			 WHERE id = $5 AND COALESCE(current_order_line_id, 0) = $6`,
			nullTime(in.End), string(in.State), ev.OrderLineID, now, in.ID, prevLine)
		if err != nil {
			return mapErr(err, "extend instance")
		}
		if n, err := res.RowsAffected(); err != nil {
			return mapErr(err, "extend instance")
		} else if n == 0 {
			return fmt.Errorf("%w: instance %d", ErrInstanceChanged, in.ID)
		}
		in.CurrentOrderLineID, in.UpdatedAt = ev.OrderLineID, now
		ev.InstanceID = in.ID
		return tx.AddInstanceEvent(ctx, ev)
	})
}
