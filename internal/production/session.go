package production

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// sessionParams are the parameters of session: a course taught over fixed
// dates.
type sessionParams struct {
	CourseIDNumber string `json:"course_idnumber"`
	Start          string `json:"start"` // 2006-01-02 (UTC) or RFC 3339
	End            string `json:"end"`   // 2006-01-02 (UTC, the end of that day) or RFC 3339
	SupervisorRole string `json:"supervisor_role,omitempty"`
}

func (p sessionParams) period() period { return period{Start: p.Start, End: p.End} }

func parseSessionParams(raw json.RawMessage) (sessionParams, error) {
	var p sessionParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if p.CourseIDNumber == "" {
		return p, fmt.Errorf("%w: course_idnumber is missing", ErrInvalidParams)
	}
	if p.Start == "" || p.End == "" {
		return p, fmt.Errorf("%w: a session needs start and end", ErrInvalidParams)
	}
	return p, p.period().validate()
}

// session enrols the line's participants (their accounts created as for
// a guest buyer) as students in a course for the session's dates, and,
// when supervisor_role is set, the buyer with that role for the same
// dates (an extra role when the buyer is a participant too). A line
// without participants enrols the buyer as the learner. One instance per
// learner, unit key "p<n>" (n-th participant) or "buyer"; the supervisor's
// enrolment has none.
type session struct{}

func (session) Validate(params json.RawMessage) error {
	_, err := parseSessionParams(params)
	return err
}

func (session) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseSessionParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	ref := lms.CourseRef{IDNumber: p.CourseIDNumber}
	course, err := t.LMS.Course(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("course %s: %w", describeCourse(ref), err)
	}
	start, end := p.period().at(t.Base)
	const role = "student"
	buyerLearns := len(t.Participants()) == 0
	for _, pt := range t.Participants() {
		buyerLearns = buyerLearns || strings.EqualFold(strings.TrimSpace(pt.Email), strings.TrimSpace(t.Buyer.Email))
	}
	var out []*store.Instance
	for _, l := range t.recipients(ctx) {
		if t.Has(l.key) {
			continue // produced by an earlier attempt
		}
		u, err := l.account()
		if err != nil {
			return nil, err
		}
		if err := t.LMS.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: course.ID, Role: role, Start: start, End: end}); err != nil {
			return nil, fmt.Errorf("enrol %s in %s: %w", u.Username, course.Shortname, err)
		}
		in := t.Instance(l.key)
		setEnrolment(in, course, u, role)
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		out = append(out, in)
		t.Note("%s enrolled in session %s (%s – %s)", u.Username, course.Shortname, start.Format("2006-01-02"), end.Format("2006-01-02"))
	}
	if p.SupervisorRole != "" {
		// Both calls are upserts: repeating them after a crash is harmless.
		if buyerLearns {
			err = t.LMS.AssignRole(ctx, lms.RoleAssignment{UserRef: t.Buyer.Ref, Role: p.SupervisorRole, Level: lms.ContextCourse, InstanceID: course.ID})
		} else {
			err = t.LMS.Enrol(ctx, lms.Enrolment{UserRef: t.Buyer.Ref, CourseID: course.ID, Role: p.SupervisorRole, Start: start, End: end})
		}
		if err != nil {
			return nil, fmt.Errorf("supervisor %s in %s: %w", t.Buyer.Username, course.Shortname, err)
		}
		t.Note("%s supervises session %s as %s", t.Buyer.Username, course.Shortname, p.SupervisorRole)
	}
	return out, nil
}
