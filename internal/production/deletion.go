package production

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// ErrDeletedForGood is returned by RestoreInstance for an instance
// DeleteInstance removed: its LMS effect is gone, there is nothing to
// restore.
var ErrDeletedForGood = errors.New("production: instance deleted for good")

// dataDeleted is the instance data key saying how a deleted instance was
// deleted: deletedSoft (restorable) or deletedFinal.
const (
	dataDeleted  = "deleted"
	deletedSoft  = "soft"
	deletedFinal = "final"
)

// undo is what to do to an instance's LMS effect.
type undo int

const (
	undoSuspend undo = iota // disable it, restorably
	undoRemove              // remove it for good
	undoRestore             // enable it again
)

// SoftDeleteInstance disables, by actor, what the instance with reference
// ref grants in the LMS, restorably (RestoreInstance):
//
//   - an enrolment, or a seat's learner's enrolment, is suspended: kept
//     with its period, groups and the learner's progress, but closed;
//   - a role is unassigned;
//   - a course or a category is left as it is: its content is the
//     customer's and their learners' work, which deleting or emptying
//     would destroy for good, and hiding it is an LMS administrator's
//     decision the shop cannot take back reliably (the event says so);
//   - a licence key or a free seat has nothing in the LMS.
//
// An enrolment or a role that another live instance also grants is kept as
// that instance grants it. The instance is marked deleted (state
// "deleted") with a "soft_deleted" event saying what was done. A deleted
// instance is left as it is.
func (e *Engine) SoftDeleteInstance(ctx context.Context, ref, actor string) error {
	in, err := e.store.InstanceByReference(ctx, ref)
	if err != nil || in.Deleted {
		return err
	}
	return e.markDeleted(ctx, in, undoSuspend, deletedSoft, store.InstanceEventSoftDeleted, actor)
}

// DeleteInstance removes, by actor, what the instance with reference ref
// grants in the LMS, for good: an enrolment (or a seat's learner's) is
// unenrolled, a role unassigned; courses, categories, licence keys and
// free seats are treated as by SoftDeleteInstance. The instance stays, for
// its history and the invoices that name it, marked deleted with a
// "deleted" event; it cannot be restored. A soft-deleted instance may be
// deleted; deleting it again changes nothing.
func (e *Engine) DeleteInstance(ctx context.Context, ref, actor string) error {
	in, err := e.store.InstanceByReference(ctx, ref)
	if err != nil || in.Data[dataDeleted] == deletedFinal {
		return err
	}
	return e.markDeleted(ctx, in, undoRemove, deletedFinal, store.InstanceEventDeleted, actor)
}

func (e *Engine) markDeleted(ctx context.Context, in *store.Instance, how undo, mark, kind, actor string) error {
	note, err := e.applyLMS(ctx, in, how)
	if err != nil {
		return err
	}
	from, fromDeleted := in.State, in.Deleted
	if in.Data == nil {
		in.Data = map[string]string{}
	}
	in.State, in.Deleted, in.Data[dataDeleted] = store.InstanceDeleted, true, mark
	return e.store.ChangeInstance(ctx, in, from, fromDeleted, &store.InstanceEvent{Kind: kind, At: e.now(), Actor: actor,
		Data: map[string]string{"from": string(from), "lms": note}})
}

// RestoreInstance undoes SoftDeleteInstance, by actor: the enrolment is
// active again with the instance's period (or the widest period of the
// live instances granting it), the role assigned again. The instance takes
// back the state its dates give, with a "restored" event. An instance that
// is not deleted is left as it is; one deleted for good gives
// ErrDeletedForGood.
func (e *Engine) RestoreInstance(ctx context.Context, ref, actor string) error {
	in, err := e.store.InstanceByReference(ctx, ref)
	if err != nil || !in.Deleted {
		return err
	}
	if in.Data[dataDeleted] == deletedFinal {
		return fmt.Errorf("%w: %s", ErrDeletedForGood, in.Reference)
	}
	note, err := e.applyLMS(ctx, in, undoRestore)
	if err != nil {
		return err
	}
	now := e.now()
	from := in.State
	delete(in.Data, dataDeleted)
	in.Deleted, in.State = false, e.stateAt(in, now)
	return e.store.ChangeInstance(ctx, in, from, true, &store.InstanceEvent{Kind: store.InstanceEventRestored, At: now, Actor: actor,
		Data: map[string]string{"to": string(in.State), "lms": note}})
}

// applyLMS does how to in's LMS object and says what it did.
func (e *Engine) applyLMS(ctx context.Context, in *store.Instance, how undo) (string, error) {
	var conn lms.Connector
	switch in.LMSObjectType {
	case store.LMSObjectEnrolment, store.LMSObjectSeat, store.LMSObjectRole:
		var err error
		if conn, _, err = e.lmsOfCustomer(ctx, in.CustomerID); err != nil {
			return "", err
		}
	}
	switch in.LMSObjectType {
	case store.LMSObjectEnrolment, store.LMSObjectSeat:
		if in.LMSObjectRef == "" {
			return "free seat: nothing in the LMS", nil
		}
		return e.applyEnrolment(ctx, conn, in, how)
	case store.LMSObjectRole:
		return e.applyRole(ctx, conn, in, how)
	case store.LMSObjectCourse, store.LMSObjectCategory:
		return fmt.Sprintf("%s %s left as it is in the LMS", in.LMSObjectType, in.LMSObjectRef), nil
	}
	return "nothing in the LMS", nil
}

// applyEnrolment suspends, removes or restores the enrolment of an
// enrolment instance or an assigned seat ("<course id>:<user ref>").
func (e *Engine) applyEnrolment(ctx context.Context, conn lms.Connector, in *store.Instance, how undo) (string, error) {
	courseRef, user, _ := strings.Cut(in.LMSObjectRef, ":")
	courseID, err := strconv.ParseInt(courseRef, 10, 64)
	if err != nil || user == "" {
		return "", permanent(fmt.Errorf("instance %s: LMS reference %q", in.Reference, in.LMSObjectRef))
	}
	others, restorable, err := e.otherHolders(ctx, in, store.LMSObjectEnrolment, store.LMSObjectSeat)
	if err != nil {
		return "", err
	}
	var note string
	holders := others
	switch {
	case how == undoRestore:
		holders, note = append([]*store.Instance{in}, others...), "enrolment active again"
	case len(others) > 0:
		note = "enrolment kept: also granted by " + references(others)
	case how == undoSuspend || restorable:
		// Kept, suspended, while a soft-deleted instance may still
		// bring it back with the learner's progress.
		en := enrolmentOf(courseID, user, in)
		en.Suspended = true
		if err := conn.Enrol(ctx, en); err != nil {
			return "", fmt.Errorf("suspend the enrolment of %s in %d: %w", user, courseID, err)
		}
		return "enrolment suspended", nil
	default:
		if err := conn.Unenrol(ctx, user, courseID); err != nil {
			return "", fmt.Errorf("unenrol %s from %d: %w", user, courseID, err)
		}
		return "unenrolled", nil
	}
	if err := conn.Enrol(ctx, enrolmentOf(courseID, user, holders...)); err != nil {
		return "", fmt.Errorf("enrol %s in %d: %w", user, courseID, err)
	}
	return note, nil
}

// enrolmentOf is the enrolment of user in courseID that holders grant
// together: the first one's role, from the earliest start to the latest
// end (a zero start or end, none, wins).
func enrolmentOf(courseID int64, user string, holders ...*store.Instance) lms.Enrolment {
	en := lms.Enrolment{UserRef: user, CourseID: courseID, Role: cmp.Or(holders[0].Data["role"], "student"),
		Start: holders[0].Start, End: holders[0].End}
	for _, h := range holders[1:] {
		if h.Start.IsZero() || (!en.Start.IsZero() && h.Start.Before(en.Start)) {
			en.Start = h.Start
		}
		if h.End.IsZero() || (!en.End.IsZero() && h.End.After(en.End)) {
			en.End = h.End
		}
	}
	return en
}

// applyRole unassigns or assigns again the role of a role instance
// ("<level>:<instance id>:<role>:<user ref>").
func (e *Engine) applyRole(ctx context.Context, conn lms.Connector, in *store.Instance, how undo) (string, error) {
	parts := strings.SplitN(in.LMSObjectRef, ":", 4)
	var id int64
	var err error
	if len(parts) == 4 {
		id, err = strconv.ParseInt(parts[1], 10, 64)
	}
	if len(parts) != 4 || err != nil {
		return "", permanent(fmt.Errorf("instance %s: LMS reference %q", in.Reference, in.LMSObjectRef))
	}
	a := lms.RoleAssignment{Level: lms.ContextLevel(parts[0]), InstanceID: id, Role: parts[2], UserRef: parts[3]}
	if how == undoRestore {
		if err := conn.AssignRole(ctx, a); err != nil {
			return "", fmt.Errorf("assign role %s to %s: %w", a.Role, a.UserRef, err)
		}
		return "role assigned again", nil
	}
	others, _, err := e.otherHolders(ctx, in, store.LMSObjectRole)
	if err != nil {
		return "", err
	}
	if len(others) > 0 {
		return "role kept: also granted by " + references(others), nil
	}
	if err := conn.UnassignRole(ctx, a); err != nil {
		return "", fmt.Errorf("unassign role %s from %s: %w", a.Role, a.UserRef, err)
	}
	return "role unassigned", nil
}

// otherHolders returns the live instances, other than in, that grant the
// same LMS object, and whether a soft-deleted one may grant it again.
func (e *Engine) otherHolders(ctx context.Context, in *store.Instance, types ...string) (live []*store.Instance, restorable bool, err error) {
	all, err := e.store.InstancesWithLMSRef(ctx, in.LMSObjectRef, in.ID, types...)
	for _, o := range all {
		switch {
		case !o.Deleted:
			live = append(live, o)
		case o.Data[dataDeleted] == deletedSoft:
			restorable = true
		}
	}
	return live, restorable, err
}

func references(ins []*store.Instance) string {
	refs := make([]string, len(ins))
	for i, in := range ins {
		refs[i] = in.Reference
	}
	return strings.Join(refs, ", ")
}
