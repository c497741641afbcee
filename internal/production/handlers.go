package production

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// Names of the built-in handlers (products.handler).
const (
	HandlerEnrolOneCourse    = "enrol_one_course"
	HandlerRegisteredProduct = "registered_product"
	HandlerSeatPool          = "seat_pool"
	HandlerSession           = "session"
	HandlerAssignRole        = "assign_role"
	HandlerCreateCourse      = "create_course"
	HandlerCreateCategory    = "create_category"
)

// decodeParams reads a handler's parameters strictly: an unknown key is a
// typo that would otherwise be silently ignored.
func decodeParams(params json.RawMessage, v any) error {
	if len(bytes.TrimSpace(params)) == 0 {
		params = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	return nil
}

// period is a validity: a start (fixed, or the time production was
// queued) and an end (fixed, a number of days after the start, or none).
type period struct {
	DurationDays int    `json:"duration_days,omitempty"`
	Start        string `json:"start,omitempty"` // 2006-01-02 (UTC) or RFC 3339
	End          string `json:"end,omitempty"`   // 2006-01-02 (UTC, the end of that day) or RFC 3339
}

func parseTime(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

func (p period) validate() error {
	if p.DurationDays < 0 {
		return fmt.Errorf("%w: duration_days %d is negative", ErrInvalidParams, p.DurationDays)
	}
	if p.DurationDays > 0 && p.End != "" {
		return fmt.Errorf("%w: duration_days and end are exclusive", ErrInvalidParams)
	}
	var start, end time.Time
	var err error
	if p.Start != "" {
		if start, err = parseTime(p.Start, false); err != nil {
			return fmt.Errorf("%w: start %q: want 2006-01-02 or RFC 3339", ErrInvalidParams, p.Start)
		}
	}
	if p.End != "" {
		if end, err = parseTime(p.End, true); err != nil {
			return fmt.Errorf("%w: end %q: want 2006-01-02 or RFC 3339", ErrInvalidParams, p.End)
		}
		if !start.IsZero() && !end.After(start) {
			return fmt.Errorf("%w: end %s is not after start %s", ErrInvalidParams, p.End, p.Start)
		}
	}
	return nil
}

// at returns the period for production queued at base. A fixed start in
// the past still starts at that date (the buyer bought a session that has
// begun); an end before base is kept as well, and the instance is then
// expired: the catalogue should have stopped selling it.
func (p period) at(base time.Time) (start, end time.Time) {
	start = base
	if p.Start != "" {
		start, _ = parseTime(p.Start, false)
	}
	switch {
	case p.End != "":
		end, _ = parseTime(p.End, true)
	case p.DurationDays > 0:
		end = start.AddDate(0, 0, p.DurationDays)
	}
	return start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
}

// state says where an instance of that period stands at now.
func state(start, end, now time.Time) store.InstanceState {
	switch {
	case start.After(now):
		return store.InstancePending
	case !end.IsZero() && !end.After(now):
		return store.InstanceExpired
	}
	return store.InstanceRunning
}

// enrolParams are the parameters of enrol_one_course. Exactly one of the
// course fields names the course (IDNumber and Shortname stay stable
// across LMS instances, an ID does not).
type enrolParams struct {
	CourseIDNumber  string `json:"course_idnumber,omitempty"`
	CourseShortname string `json:"course_shortname,omitempty"`
	CourseID        int64  `json:"course_id,omitempty"`
	Role            string `json:"role,omitempty"` // default "student"
	Group           string `json:"group,omitempty"`
	period
}

func (p enrolParams) course() lms.CourseRef {
	return lms.CourseRef{ID: p.CourseID, IDNumber: p.CourseIDNumber, Shortname: p.CourseShortname}
}

func parseEnrolParams(raw json.RawMessage) (enrolParams, error) {
	var p enrolParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if set, err := checkCourseRef("course", p.course()); err != nil {
		return p, err
	} else if !set {
		return p, fmt.Errorf("%w: name the course by one of course_idnumber, course_shortname, course_id", ErrInvalidParams)
	}
	if p.Role == "" {
		p.Role = "student"
	}
	return p, p.validate()
}

// enrolOneCourse enrols the buyer in one course for a period, or, when the
// line names participants, each participant (their accounts created as
// for a guest buyer). One instance per enrolled person, unit key "buyer"
// or "p<n>" (n-th participant).
type enrolOneCourse struct{}

func (enrolOneCourse) Validate(params json.RawMessage) error {
	_, err := parseEnrolParams(params)
	return err
}

func (enrolOneCourse) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseEnrolParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	var course *lms.Course
	var out []*store.Instance
	for _, l := range t.recipients(ctx) {
		if t.Has(l.key) {
			continue // produced by an earlier attempt
		}
		if course == nil {
			if course, err = t.LMS.Course(ctx, p.course()); err != nil {
				return nil, fmt.Errorf("course %s: %w", describeCourse(p.course()), err)
			}
		}
		u, err := l.account()
		if err != nil {
			return nil, err
		}
		start, end := p.at(t.Base)
		// Enrol is an upsert: running it again after a crash sets the
		// same period, it never enrols twice.
		if err := t.LMS.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: course.ID, Role: p.Role, Start: start, End: end}); err != nil {
			return nil, fmt.Errorf("enrol %s in %s: %w", u.Username, course.Shortname, err)
		}
		if p.Group != "" {
			if err := t.LMS.AddToGroup(ctx, course.ID, p.Group, u.Ref); err != nil {
				return nil, fmt.Errorf("group %s of %s: %w", p.Group, course.Shortname, err)
			}
		}
		in := t.Instance(l.key)
		setEnrolment(in, course, u, p.Role)
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		if p.Group != "" {
			in.Data["group"] = p.Group
		}
		out = append(out, in)
		t.Note("%s enrolled in %s as %s", u.Username, course.Shortname, p.Role)
	}
	return out, nil
}

// setEnrolment makes in stand for u's enrolment in course with role. The
// names are kept so that the support area can say what the instance
// grants ("enrolment of Ann Martin in Project management") without asking
// the LMS for every line.
func setEnrolment(in *store.Instance, course *lms.Course, u *lms.User, role string) {
	in.LMSObjectType = store.LMSObjectEnrolment
	in.LMSObjectRef = strconv.FormatInt(course.ID, 10) + ":" + u.Ref
	in.Data["course"] = course.Shortname
	in.Data["course_name"] = course.Fullname
	in.Data["role"] = role
	in.Data["user"] = u.Ref
	in.Data[dataLearner] = strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// checkCourseRef checks that at most one identifier of a course is set
// (the parameters prefix_idnumber, prefix_shortname, prefix_id) and says
// whether one is.
func checkCourseRef(prefix string, c lms.CourseRef) (bool, error) {
	n := 0
	for _, set := range []bool{c.IDNumber != "", c.Shortname != "", c.ID != 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return true, fmt.Errorf("%w: name the %s by only one of %s_idnumber, %s_shortname, %s_id", ErrInvalidParams, prefix, prefix, prefix, prefix)
	}
	if c.ID < 0 {
		return true, fmt.Errorf("%w: %s_id %d", ErrInvalidParams, prefix, c.ID)
	}
	return n == 1, nil
}

// checkRole checks a role shortname parameter. A colon is refused too:
// role instances keep the role inside a colon-separated reference.
func checkRole(name, role string) error {
	if role == "" || role != strings.TrimSpace(role) || strings.ContainsAny(role, " \t\n,:") {
		return fmt.Errorf("%w: %s %q is not a role shortname", ErrInvalidParams, name, role)
	}
	return nil
}

func describeCourse(c lms.CourseRef) string {
	switch {
	case c.IDNumber != "":
		return "idnumber " + c.IDNumber
	case c.Shortname != "":
		return c.Shortname
	}
	return "id " + strconv.FormatInt(c.ID, 10)
}

// registeredParams are the parameters of registered_product: a validity
// period, and free data copied onto the instances (what the licensed
// software reads).
type registeredParams struct {
	period
	Data map[string]string `json:"data,omitempty"`
}

// registeredProduct is a pure licence: one instance per unit bought, its
// reference being the licence key; nothing in the LMS. Unit keys "n<k>".
type registeredProduct struct{}

func (registeredProduct) Validate(params json.RawMessage) error {
	var p registeredParams
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	return p.validate()
}

func (registeredProduct) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	var p registeredParams
	if err := decodeParams(t.Unit.Params, &p); err != nil {
		return nil, permanent(err)
	}
	start, end := p.at(t.Base)
	var out []*store.Instance
	for k := 1; k <= t.Unit.Quantity; k++ {
		key := "n" + strconv.Itoa(k)
		if t.Has(key) {
			continue
		}
		in := t.Instance(key)
		in.LMSObjectType = store.LMSObjectRegistered
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		for name, v := range p.Data {
			in.Data[name] = v
		}
		out = append(out, in)
	}
	t.Note("%d licence key(s)", len(out))
	return out, nil
}
