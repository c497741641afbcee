package local

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// Enrol enrols a user in a course with a role for a period, or, when the
// user is enrolled there already, replaces the enrolment's role, period
// and suspension (as Moodle's manual enrolment does). A zero Start means
// from now on (stored as no start, like Moodle's 0); a zero End, no end.
// Enrolling a suspended account works: suspension only stops signing in.
func (c *Connector) Enrol(ctx context.Context, e lms.Enrolment) error {
	const op = "enrol"
	if e.Role == "" {
		return invalid(op, "no role")
	}
	if !e.Start.IsZero() && !e.End.IsZero() && !e.End.After(e.Start) {
		return invalid(op, "period ends (%s) before it starts (%s)", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	u, err := c.user(ctx, op, e.UserRef)
	if err != nil {
		return err
	}
	if _, err := c.course(ctx, op, e.CourseID); err != nil {
		return err
	}
	en := &store.LMSEnrolment{UserID: u.ID, Enrolment: e}
	return fail(op, c.store.UpsertLMSEnrolment(ctx, en))
}

// Unenrol removes a user's enrolment from a course, with the user's roles
// in the course and memberships of its groups (as Moodle does when a
// user's last enrolment in a course goes). Unenrolling a user who is not
// enrolled changes nothing and succeeds, so that a retried call does no
// harm.
func (c *Connector) Unenrol(ctx context.Context, userRef string, courseID int64) error {
	const op = "unenrol"
	u, err := c.user(ctx, op, userRef)
	if err != nil {
		return err
	}
	if _, err := c.course(ctx, op, courseID); err != nil {
		return err
	}
	err = c.store.DeleteLMSEnrolment(ctx, courseID, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return fail(op, err)
}

// AssignRole gives a user a role in a context: the system (InstanceID 0),
// a category or a course. Giving a role the user has already changes
// nothing. A course role is not an enrolment: it does not let the user
// into the course by itself.
func (c *Connector) AssignRole(ctx context.Context, a lms.RoleAssignment) error {
	const op = "assign role"
	u, err := c.roleTarget(ctx, op, a)
	if err != nil {
		return err
	}
	return fail(op, c.store.UpsertLMSRoleAssignment(ctx, &store.LMSRoleAssignment{UserID: u.ID, RoleAssignment: a}))
}

// UnassignRole takes a role in a context back from a user. Taking back a
// role the user does not have changes nothing.
func (c *Connector) UnassignRole(ctx context.Context, a lms.RoleAssignment) error {
	const op = "unassign role"
	u, err := c.roleTarget(ctx, op, a)
	if err != nil {
		return err
	}
	err = c.store.DeleteLMSRoleAssignment(ctx, u.ID, a)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return fail(op, err)
}

// roleTarget checks a role assignment's role and context and returns its
// user.
func (c *Connector) roleTarget(ctx context.Context, op string, a lms.RoleAssignment) (*store.LMSUser, error) {
	if a.Role == "" {
		return nil, invalid(op, "no role")
	}
	switch a.Level {
	case lms.ContextSystem:
		if a.InstanceID != 0 {
			return nil, invalid(op, "the system context has no instance (got %d)", a.InstanceID)
		}
	case lms.ContextCategory:
		if err := c.category(ctx, op, a.InstanceID); err != nil {
			return nil, err
		}
	case lms.ContextCourse:
		if _, err := c.course(ctx, op, a.InstanceID); err != nil {
			return nil, err
		}
	default:
		return nil, invalid(op, "unknown context level %q", a.Level)
	}
	return c.user(ctx, op, a.UserRef)
}

// AddToGroup adds a user enrolled in a course to the course's group of
// that name, creating the group when it does not exist. Adding a member
// again changes nothing. As in Moodle, only enrolled users may join a
// group: otherwise it fails with ErrInvalid.
func (c *Connector) AddToGroup(ctx context.Context, courseID int64, group, userRef string) error {
	const op = "add to group"
	if strings.TrimSpace(group) == "" {
		return invalid(op, "no group name")
	}
	u, err := c.user(ctx, op, userRef)
	if err != nil {
		return err
	}
	if _, err := c.course(ctx, op, courseID); err != nil {
		return err
	}
	if _, err := c.store.LMSEnrolment(ctx, courseID, u.ID); errors.Is(err, store.ErrNotFound) {
		return invalid(op, "user %s is not enrolled in course %d", userRef, courseID)
	} else if err != nil {
		return fail(op, err)
	}
	g, err := c.store.LMSGroupByName(ctx, courseID, group)
	if errors.Is(err, store.ErrNotFound) {
		g = &store.LMSGroup{CourseID: courseID, Name: group}
		err = c.store.CreateLMSGroup(ctx, g)
		if errors.Is(err, store.ErrConflict) {
			// Another call created it meanwhile: use theirs.
			g, err = c.store.LMSGroupByName(ctx, courseID, group)
		}
	}
	if err != nil {
		return fail(op, err)
	}
	return fail(op, c.store.AddLMSGroupMember(ctx, g.ID, u.ID))
}

// EnrolmentInfo is one of a user's courses as the learner page and the
// support area show it: the course, the role and the period.
type EnrolmentInfo struct {
	Course    lms.Course
	Role      string
	Start     time.Time // zero: from the start
	End       time.Time // zero: no end
	Suspended bool
}

// Active reports whether the enrolment lets its user into the course at
// now: not suspended, started, not ended.
func (e EnrolmentInfo) Active(now time.Time) bool {
	return !e.Suspended && (e.Start.IsZero() || !now.Before(e.Start)) && (e.End.IsZero() || now.Before(e.End))
}

// Enrolled reports whether a user's enrolment in a course lets them in
// now; an unknown user or course, or no enrolment, is false.
func (c *Connector) Enrolled(ctx context.Context, userRef string, courseID int64) (bool, error) {
	id, err := strconv.ParseInt(userRef, 10, 64)
	if err != nil || id <= 0 {
		return false, nil
	}
	e, err := c.store.LMSEnrolment(ctx, courseID, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fail("enrolled", err)
	}
	return EnrolmentInfo{Start: e.Start, End: e.End, Suspended: e.Suspended}.Active(time.Now()), nil
}

// Enrolments returns a user's enrolments, by course short name, including
// suspended, future and ended ones; it fails with ErrNoUser for a user
// that does not exist.
func (c *Connector) Enrolments(ctx context.Context, userRef string) ([]EnrolmentInfo, error) {
	const op = "enrolments"
	u, err := c.user(ctx, op, userRef)
	if err != nil {
		return nil, err
	}
	es, err := c.store.LMSEnrolments(ctx, u.ID)
	if err != nil {
		return nil, fail(op, err)
	}
	out := make([]EnrolmentInfo, len(es))
	for i, e := range es {
		out[i] = EnrolmentInfo{Course: e.Course, Role: e.Role, Start: e.Start, End: e.End, Suspended: e.Suspended}
	}
	return out, nil
}
