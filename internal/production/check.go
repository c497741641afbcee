package production

import (
	"context"
	"encoding/json"

	"courseshop/internal/lms"
)

// Finding is one thing a handler's check looked up in the LMS: what, and
// what is wrong with it (empty when it is fine).
type Finding struct {
	What    string
	Problem string
}

// Checker is a handler that can check, changing nothing, that what its
// parameters name exists in the LMS: the "test this product" of the
// catalogue (`courseshop catalog check`).
type Checker interface {
	Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding
}

// Check validates params for the handler called name, then, when the
// handler is a Checker, looks up in conn what they name. Invalid
// parameters or an unknown handler are the error; what is missing in the
// LMS is in the findings.
func (r *Registry) Check(ctx context.Context, conn lms.Connector, name string, params json.RawMessage) ([]Finding, error) {
	if err := r.Validate(name, params); err != nil {
		return nil, err
	}
	c, ok := r.handlers[name].(Checker)
	if !ok {
		return nil, nil
	}
	return c.Check(ctx, conn, params), nil
}

// found is the finding of a lookup: fine when err is nil.
func found(what string, err error) Finding {
	if err != nil {
		return Finding{What: what, Problem: err.Error()}
	}
	return Finding{What: what}
}

// checkCourse looks a course up.
func checkCourse(ctx context.Context, conn lms.Connector, what string, ref lms.CourseRef) (*lms.Course, Finding) {
	c, err := conn.Course(ctx, ref)
	f := found(what+" "+describeCourse(ref), err)
	if err == nil {
		f.What += " (" + c.Fullname + ")"
	}
	return c, f
}

// checkCategory looks a category up.
func checkCategory(ctx context.Context, conn lms.Connector, what string, ref lms.CategoryRef) Finding {
	c, err := conn.Category(ctx, ref)
	f := found(what+" "+describeCategory(ref), err)
	if err == nil {
		f.What += " (" + c.Name + ")"
	}
	return f
}

// roleFinding asks a connector that may lack roles (lms.RoleChecker) whether
// role can be given, in course when it is not nil; a connector that takes
// any role needs no check.
func roleFinding(ctx context.Context, conn lms.Connector, role string, course *lms.Course) []Finding {
	rc, ok := conn.(lms.RoleChecker)
	if !ok {
		return nil
	}
	var id int64
	if course != nil {
		id = course.ID
	}
	return []Finding{found("role "+role, rc.CheckRole(ctx, role, id))}
}

func (enrolOneCourse) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseEnrolParams(params) // validated by Registry.Check
	course, f := checkCourse(ctx, conn, "course", p.course())
	out := []Finding{f}
	if course != nil {
		out = append(out, roleFinding(ctx, conn, p.Role, course)...)
	}
	return out
}

func (seatPool) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseSeatPoolParams(params)
	var out []Finding
	var first *lms.Course
	for _, idnumber := range p.CourseIDNumbers {
		c, f := checkCourse(ctx, conn, "course", lms.CourseRef{IDNumber: idnumber})
		out = append(out, f)
		if first == nil {
			first = c
		}
	}
	if first != nil {
		out = append(out, roleFinding(ctx, conn, p.Role, first)...)
	}
	return out
}

func (session) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseSessionParams(params)
	course, f := checkCourse(ctx, conn, "course", lms.CourseRef{IDNumber: p.CourseIDNumber})
	out := []Finding{f}
	if course != nil {
		out = append(out, roleFinding(ctx, conn, "student", course)...)
		if p.SupervisorRole != "" {
			out = append(out, roleFinding(ctx, conn, p.SupervisorRole, course)...)
		}
	}
	return out
}

func (assignRole) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseAssignRoleParams(params)
	if p.CategoryID != 0 || p.CategoryIDNumber != "" {
		return append([]Finding{checkCategory(ctx, conn, "category", p.category())}, roleFinding(ctx, conn, p.Role, nil)...)
	}
	course, f := checkCourse(ctx, conn, "course", p.course())
	out := []Finding{f}
	if course != nil {
		out = append(out, roleFinding(ctx, conn, p.Role, course)...)
	}
	return out
}

func (createCourse) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseCreateCourseParams(params)
	var out []Finding
	var template *lms.Course
	if ref := p.template(); ref != (lms.CourseRef{}) {
		var f Finding
		template, f = checkCourse(ctx, conn, "template", ref)
		out = append(out, f)
	}
	if p.CategoryID != 0 {
		out = append(out, checkCategory(ctx, conn, "category", lms.CategoryRef{ID: p.CategoryID}))
	}
	// A new course has no participants to learn role ids from: the role
	// is looked up in the template.
	return append(out, roleFinding(ctx, conn, p.Role, template)...)
}

func (createCategory) Check(ctx context.Context, conn lms.Connector, params json.RawMessage) []Finding {
	p, _ := parseCreateCategoryParams(params)
	var out []Finding
	if p.ParentID != 0 {
		out = append(out, checkCategory(ctx, conn, "parent category", lms.CategoryRef{ID: p.ParentID}))
	}
	if p.Role != "" {
		out = append(out, roleFinding(ctx, conn, p.Role, nil)...)
	}
	if len(out) == 0 {
		out = append(out, Finding{What: "top-level category, no role: nothing to look up"})
	}
	return out
}

// Problems counts the findings with a problem.
func Problems(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Problem != "" {
			n++
		}
	}
	return n
}

// The handlers that name something in the LMS check it.
var (
	_ Checker = enrolOneCourse{}
	_ Checker = seatPool{}
	_ Checker = session{}
	_ Checker = assignRole{}
	_ Checker = createCourse{}
	_ Checker = createCategory{}
)
