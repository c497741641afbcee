package production

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// assignRoleParams are the parameters of assign_role: a role and the
// context it applies in, a course (by exactly one of its identifiers) or a
// category (by id or idnumber), and a validity.
type assignRoleParams struct {
	Role             string `json:"role"`
	CourseIDNumber   string `json:"course_idnumber,omitempty"`
	CourseShortname  string `json:"course_shortname,omitempty"`
	CourseID         int64  `json:"course_id,omitempty"`
	CategoryID       int64  `json:"category_id,omitempty"`
	CategoryIDNumber string `json:"category_idnumber,omitempty"`
	period
}

func (p assignRoleParams) course() lms.CourseRef {
	return lms.CourseRef{ID: p.CourseID, IDNumber: p.CourseIDNumber, Shortname: p.CourseShortname}
}

func (p assignRoleParams) category() lms.CategoryRef {
	return lms.CategoryRef{ID: p.CategoryID, IDNumber: p.CategoryIDNumber}
}

func parseAssignRoleParams(raw json.RawMessage) (assignRoleParams, error) {
	var p assignRoleParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if err := checkRole("role", p.Role); err != nil {
		return p, err
	}
	inCourse, err := checkCourseRef("course", p.course())
	if err != nil {
		return p, err
	}
	inCategory := p.CategoryID != 0 || p.CategoryIDNumber != ""
	switch {
	case p.CategoryID < 0:
		return p, fmt.Errorf("%w: category_id %d", ErrInvalidParams, p.CategoryID)
	case p.CategoryID != 0 && p.CategoryIDNumber != "":
		return p, fmt.Errorf("%w: name the category by only one of category_id, category_idnumber", ErrInvalidParams)
	case inCourse == inCategory:
		return p, fmt.Errorf("%w: name one context: a course (course_idnumber, course_shortname, course_id) or a category (category_id, category_idnumber)", ErrInvalidParams)
	}
	return p, p.validate()
}

// assignRole gives a role in a course or category context to the buyer,
// or, when the line names participants (a seat product), to each
// participant instead (their accounts created as for a guest buyer), as
// enrol_one_course does. One instance per person (unit key "buyer" or
// "p<n>"), of type store.LMSObjectRole. A course role is not an enrolment:
// selling access to a course is enrol_one_course's business. Moodle's role
// assignments have no period: the period is the instance's, and taking the
// role back when it ends is left to the instance's end of life.
type assignRole struct{}

func (assignRole) Validate(params json.RawMessage) error {
	_, err := parseAssignRoleParams(params)
	return err
}

func (assignRole) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseAssignRoleParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	var (
		level lms.ContextLevel
		id    int64
		where string // the context's name, for people
		out   []*store.Instance
	)
	for _, r := range t.recipients(ctx) {
		if t.Has(r.key) {
			continue // produced by an earlier attempt
		}
		if level == "" { // looked up once, and only when someone is left to produce
			if level, id, where, err = roleContext(ctx, t.LMS, p); err != nil {
				return nil, err
			}
		}
		u, err := r.account()
		if err != nil {
			return nil, err
		}
		// AssignRole is idempotent: running it again after a crash
		// changes nothing.
		if err := t.LMS.AssignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Role: p.Role, Level: level, InstanceID: id}); err != nil {
			return nil, fmt.Errorf("role %s for %s in %s %s: %w", p.Role, u.Username, level, where, err)
		}
		in := t.Instance(r.key)
		in.LMSObjectType = store.LMSObjectRole
		in.LMSObjectRef = strings.Join([]string{string(level), strconv.FormatInt(id, 10), p.Role, u.Ref}, ":")
		start, end := p.at(t.Base)
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		in.Data["role"] = p.Role
		in.Data["context"] = string(level)
		in.Data["context_name"] = where
		in.Data["user"] = u.Ref
		in.Data["learner"] = strings.TrimSpace(u.FirstName + " " + u.LastName)
		out = append(out, in)
		t.Note("%s has role %s in %s %s", u.Username, p.Role, level, where)
	}
	return out, nil
}

// roleContext finds the context of p in the LMS: its level, instance id
// and name.
func roleContext(ctx context.Context, conn lms.Connector, p assignRoleParams) (lms.ContextLevel, int64, string, error) {
	if p.CategoryID != 0 || p.CategoryIDNumber != "" {
		cat, err := conn.Category(ctx, p.category())
		if err != nil {
			return "", 0, "", fmt.Errorf("category %s: %w", describeCategory(p.category()), err)
		}
		return lms.ContextCategory, cat.ID, cat.Name, nil
	}
	course, err := conn.Course(ctx, p.course())
	if err != nil {
		return "", 0, "", fmt.Errorf("course %s: %w", describeCourse(p.course()), err)
	}
	return lms.ContextCourse, course.ID, course.Shortname, nil
}

func describeCategory(c lms.CategoryRef) string {
	if c.IDNumber != "" {
		return "idnumber " + c.IDNumber
	}
	return "id " + strconv.FormatInt(c.ID, 10)
}
