package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// LMSObjectSeat is the lms_object_type of a seat: a place a customer
// bought in a pool and hands to a learner later. Its SeatLearnerRef is
// empty while it is free; once assigned, its LMSObjectRef is the
// enrolment "<course id>:<user ref>".
const LMSObjectSeat = "seat"

// Instance event kinds of seats.
const (
	InstanceEventSeatAssigned = "seat_assigned"
	InstanceEventSeatReleased = "seat_released"
)

// ErrSeatChanged is returned by UpdateSeat when the seat is no longer held
// by the learner the caller read (another assignment or release won).
var ErrSeatChanged = errors.New("store: seat changed meanwhile")

// UpdateSeat writes a seat's learner, LMS reference, period, state and
// data from in, provided its learner is still prevLearner (empty: free),
// and appends ev (its InstanceID set) to its history, in one transaction.
// A seat held by someone else meanwhile, or deleted meanwhile, gives
// ErrSeatChanged.
func (s *Store) UpdateSeat(ctx context.Context, in *Instance, prevLearner string, ev *InstanceEvent) error {
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
			`UPDATE product_instances SET seat_learner_ref = $1, lms_object_ref = $2, start_at = $3, end_at = $4, state = $5,
			   data = $6, updated_at = $7
			 WHERE id = $8 AND lms_object_type = $9 AND COALESCE(seat_learner_ref, '') = $10 AND deleted = $11`,
			nullText(in.SeatLearnerRef), in.LMSObjectRef, nullTime(in.Start), nullTime(in.End), string(in.State), string(b), now,
			in.ID, LMSObjectSeat, prevLearner, false)
		if err != nil {
			return mapErr(err, "update seat")
		}
		if n, err := res.RowsAffected(); err != nil {
			return mapErr(err, "update seat")
		} else if n == 0 {
			return fmt.Errorf("%w: instance %d", ErrSeatChanged, in.ID)
		}
		in.UpdatedAt = now
		if ev == nil {
			return nil
		}
		ev.InstanceID = in.ID
		return tx.AddInstanceEvent(ctx, ev)
	})
}

// SeatsOfCustomer returns a customer's seats that are not deleted, oldest
// first.
func (s *Store) SeatsOfCustomer(ctx context.Context, customerID int64) ([]*Instance, error) {
	return s.instances(ctx, "seats of customer", `customer_id = $1 AND lms_object_type = $2 AND deleted = $3`,
		customerID, LMSObjectSeat, false)
}
