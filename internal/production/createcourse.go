package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// createCourseParams are the parameters of create_course.
type createCourseParams struct {
	// The template whose content the course copies, by at most one
	// identifier; none: an empty course.
	TemplateIDNumber  string `json:"template_idnumber,omitempty"`
	TemplateShortname string `json:"template_shortname,omitempty"`
	TemplateID        int64  `json:"template_id,omitempty"`
	// CategoryID is where the course goes; 0: the template's category
	// (without template, the LMS's default category).
	CategoryID int64 `json:"category_id,omitempty"`
	// Fullname and Shortname name the course (namePattern); Shortname
	// defaults to "{unit}". A short name must be unique in the LMS: a
	// pattern that repeats one makes the second course fail.
	Fullname  namePattern `json:"fullname"`
	Shortname namePattern `json:"shortname,omitempty"`
	// Role is the buyer's role in the course (default editingteacher).
	Role string `json:"role,omitempty"`
	// Hidden creates the course hidden from learners.
	Hidden bool `json:"hidden,omitempty"`
	// The buyer's enrolment, and the instance's validity.
	period
}

func (p createCourseParams) template() lms.CourseRef {
	return lms.CourseRef{ID: p.TemplateID, IDNumber: p.TemplateIDNumber, Shortname: p.TemplateShortname}
}

func parseCreateCourseParams(raw json.RawMessage) (createCourseParams, error) {
	var p createCourseParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if _, err := checkCourseRef("template", p.template()); err != nil {
		return p, err
	}
	if p.CategoryID < 0 {
		return p, fmt.Errorf("%w: category_id %d", ErrInvalidParams, p.CategoryID)
	}
	if p.Shortname == "" {
		p.Shortname = "{unit}"
	}
	if err := p.Fullname.validate("fullname"); err != nil {
		return p, err
	}
	if err := p.Shortname.validate("shortname"); err != nil {
		return p, err
	}
	if p.Role == "" {
		p.Role = "editingteacher"
	}
	if err := checkRole("role", p.Role); err != nil {
		return p, err
	}
	return p, p.validate()
}

// createCourse creates one course per unit bought, from a template when
// the parameters name one, named from the order and the buyer's answers,
// and enrols the buyer in it with a role (editingteacher by default) for
// the period. One instance per course, unit key "c<k>", of type
// store.LMSObjectCourse. Each course gets an idnumber made from the order,
// line and unit (Task.lmsIDNumber): an attempt running again after a crash
// finds the course the interrupted one created instead of making another.
type createCourse struct{}

func (createCourse) Validate(params json.RawMessage) error {
	_, err := parseCreateCourseParams(params)
	return err
}

func (createCourse) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseCreateCourseParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	var out []*store.Instance
	for k := 1; k <= t.Unit.Quantity; k++ {
		key := "c" + strconv.Itoa(k)
		if t.Has(key) {
			continue
		}
		course, err := ensureCourse(ctx, t, p, k)
		if err != nil {
			return nil, err
		}
		start, end := p.at(t.Base)
		if err := t.LMS.Enrol(ctx, lms.Enrolment{UserRef: t.Buyer.Ref, CourseID: course.ID, Role: p.Role, Start: start, End: end}); err != nil {
			return nil, fmt.Errorf("enrol %s in %s: %w", t.Buyer.Username, course.Shortname, err)
		}
		in := t.Instance(key)
		in.LMSObjectType = store.LMSObjectCourse
		in.LMSObjectRef = strconv.FormatInt(course.ID, 10)
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		in.Data["course"] = course.Shortname
		in.Data["course_name"] = course.Fullname
		in.Data["idnumber"] = course.IDNumber
		in.Data["role"] = p.Role
		in.Data["user"] = t.Buyer.Ref
		if tpl := p.template(); tpl != (lms.CourseRef{}) {
			in.Data["template"] = describeCourse(tpl)
		}
		out = append(out, in)
		t.Note("%s owns course %s as %s", t.Buyer.Username, course.Shortname, p.Role)
	}
	return out, nil
}

// ensureCourse returns the course of the k-th unit: the one an earlier
// attempt created (found by its idnumber), or a new one.
func ensureCourse(ctx context.Context, t *Task, p createCourseParams, k int) (*lms.Course, error) {
	idnumber := t.lmsIDNumber(k)
	course, err := t.LMS.Course(ctx, lms.CourseRef{IDNumber: idnumber})
	if err == nil {
		t.Note("course %s found, created by an earlier attempt", course.Shortname)
		return course, nil
	}
	if !errors.Is(err, lms.ErrNoCourse) {
		return nil, fmt.Errorf("course %s: %w", idnumber, err)
	}
	fullname, err := p.Fullname.render(t, k, "fullname")
	if err != nil {
		return nil, err
	}
	shortname, err := p.Shortname.render(t, k, "shortname")
	if err != nil {
		return nil, err
	}
	var template *lms.CourseRef
	if tpl := p.template(); tpl != (lms.CourseRef{}) {
		template = &tpl
	}
	nc := lms.NewCourse{Fullname: fullname, Shortname: shortname, IDNumber: idnumber, CategoryID: p.CategoryID, Visible: !p.Hidden}
	course, err = t.LMS.CreateCourse(ctx, nc, template)
	if err != nil {
		what := "course " + shortname
		if template != nil {
			what += " from template " + describeCourse(*template)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if strings.TrimSpace(course.IDNumber) == "" {
		course.IDNumber = idnumber
	}
	return course, nil
}
