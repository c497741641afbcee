package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"courseshop/internal/store"
)

// LifecycleActor is who the lifecycle pass's events are recorded as.
const LifecycleActor = "system:lifecycle"

// LifecycleReport says what one lifecycle pass changed.
type LifecycleReport struct {
	States    int // instances whose state changed
	Reminders int // renewal reminders queued
	Suspended int // LMS accounts suspended
}

// RunLifecycle runs the lifecycle pass once, at the engine's clock:
//
//   - instances move pending → running → expiring → expired as their
//     dates say, each change an instance event (the state is stored, not
//     derived on display, so that lists filter on it);
//   - customers are reminded by mail, once per instance and end date,
//     that an enrolment of a renewable product ends within
//     Options.ReminderDays;
//   - the LMS accounts the shop created, that no product has concerned for
//     Options.AccountGrace, are suspended (rule C8).
//
// Every step is idempotent: a second pass at the same time changes
// nothing. A step that fails for one item goes on with the others; the
// failures are returned together.
func (e *Engine) RunLifecycle(ctx context.Context) (LifecycleReport, error) {
	var rep LifecycleReport
	var errs []error
	var err error
	if rep.States, err = e.restate(ctx); err != nil {
		errs = append(errs, fmt.Errorf("instance states: %w", err))
	}
	if rep.Reminders, err = e.remindRenewals(ctx); err != nil {
		errs = append(errs, fmt.Errorf("renewal reminders: %w", err))
	}
	if rep.Suspended, err = e.suspendIdleAccounts(ctx); err != nil {
		errs = append(errs, fmt.Errorf("idle accounts: %w", err))
	}
	return rep, errors.Join(errs...)
}

// lifecycleKey is the idempotency key of the pass of now's day (UTC): one
// job per day, however many nodes queue it.
func lifecycleKey(now time.Time) string { return "lifecycle:" + now.UTC().Format(time.DateOnly) }

// ScheduleLifecycle queues the lifecycle pass of the current day (UTC),
// unless it was queued already: every node may call it as often as it
// likes, the jobs table's unique key makes it one job a day, and the job's
// claim makes one worker run it. It reports whether it queued the job.
func (e *Engine) ScheduleLifecycle(ctx context.Context) (bool, error) {
	now := e.now()
	return e.store.EnqueueJob(ctx, &store.Job{Kind: KindLifecycle, Key: lifecycleKey(now), MaxAttempts: e.opt.MaxAttempts, RunAt: now})
}

// runLifecycleJob runs a claimed lifecycle job and settles it: done with
// an audit entry of what the pass did, or failed and tried again after a
// back-off (the pass is idempotent) until its attempts run out; the next
// day's job starts afresh.
func (e *Engine) runLifecycleJob(ctx context.Context, j *store.Job) error {
	rep, runErr := e.RunLifecycle(ctx)
	now := e.now()
	var err error
	if runErr == nil {
		data, _ := json.Marshal(map[string]int{"states": rep.States, "reminders": rep.Reminders, "suspended": rep.Suspended})
		err = e.store.InTx(ctx, func(tx *store.Store) error {
			if err := tx.MarkJobDone(ctx, j); err != nil {
				return err
			}
			return tx.AddAudit(ctx, &store.AuditEvent{Actor: LifecycleActor, Action: "lifecycle_pass", ObjectType: "job",
				ObjectID: strconv.FormatInt(j.ID, 10), Data: data})
		})
	} else {
		final := j.Attempts >= j.MaxAttempts
		e.log.Error("lifecycle pass", slog.Int("attempt", j.Attempts), slog.Bool("final", final), slog.Any("err", runErr))
		err = e.store.MarkJobFailed(ctx, j, runErr.Error(), now.Add(e.backoff(j.Attempts)), final)
	}
	if errors.Is(err, store.ErrNotFound) && e.lostClaim(ctx, j) {
		return nil // another worker holds it now: its run counts
	}
	if err != nil {
		return err
	}
	return runErr
}

// stateAt is where in stands at now by its dates: a free seat waits for
// its learner, an instance ending within Options.ExpiringDays is expiring.
func (e *Engine) stateAt(in *store.Instance, now time.Time) store.InstanceState {
	if in.LMSObjectType == store.LMSObjectSeat && in.SeatLearnerRef == "" {
		return store.InstancePending
	}
	s := state(in.Start, in.End, now)
	if s == store.InstanceRunning && !in.End.IsZero() && !in.End.After(e.soon(now)) {
		return store.InstanceExpiring
	}
	return s
}

// soon is the end before which an instance is expiring at now.
func (e *Engine) soon(now time.Time) time.Time { return now.AddDate(0, 0, e.opt.ExpiringDays) }

// restate moves the instances whose state no longer matches their dates,
// each with a "state_changed" event. An instance changed meanwhile
// (extended, deleted) is left for the next pass.
func (e *Engine) restate(ctx context.Context) (int, error) {
	now := e.now()
	ins, err := e.store.InstancesToRestate(ctx, now, e.soon(now))
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, in := range ins {
		from, to := in.State, e.stateAt(in, now)
		if to == from {
			continue
		}
		in.State = to
		err := e.store.ChangeInstance(ctx, in, from, false, &store.InstanceEvent{Kind: store.InstanceEventStateChanged, At: now,
			Actor: LifecycleActor, Data: map[string]string{"from": string(from), "to": string(to)}})
		switch {
		case errors.Is(err, store.ErrInstanceChanged):
		case err != nil:
			errs = append(errs, err)
		default:
			n++
		}
	}
	return n, errors.Join(errs...)
}
