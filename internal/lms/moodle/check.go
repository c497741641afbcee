package moodle

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"courseshop/internal/lms"
)

// Report is what Check found out about a site: its description, each
// function the shop needs, and the results of harmless probes.
type Report struct {
	Site    *lms.Site
	Version Version // zero when the release could not be read
	// Admin is set when the token belongs to a site administrator, which
	// works but gives the shop far more power than it needs.
	Admin     bool
	Functions []FunctionStatus
	Probes    []Probe
}

// FunctionStatus says whether the token may call a required function.
type FunctionStatus struct {
	Function
	Available bool
}

// Probe is one harmless call made to find permission problems. Problem is
// empty when the probe passed, Skipped when it could not run.
type Probe struct {
	Name    string
	Problem string
	Skipped string
}

// Missing returns the required functions the token may not call.
func (r *Report) Missing() []Function {
	var out []Function
	for _, f := range r.Functions {
		if !f.Available {
			out = append(out, f.Function)
		}
	}
	return out
}

// Problems counts the missing functions, failed probes and an unsupported
// version.
func (r *Report) Problems() int {
	n := len(r.Missing())
	for _, p := range r.Probes {
		if p.Problem != "" {
			n++
		}
	}
	if !r.Version.AtLeast(4, 0) {
		n++
	}
	return n
}

// Check describes the site and probes what the shop's token may do,
// without changing anything: it reads the token's own account, the site's
// front page course and, when course is set (an idnumber or a shortname of
// a sold course), that course, its participants and its groups. The error
// is only for a site that cannot be asked at all (wrong URL or token, web
// services off).
func (c *Client) Check(ctx context.Context, course string) (*Report, error) {
	site, err := c.SiteInfo(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Site: site}
	c.mu.Lock()
	r.Admin = c.site.UserIsSiteAdmin
	c.mu.Unlock()
	r.Version, _ = ParseRelease(site.Version)
	for _, f := range RequiredFunctions() {
		r.Functions = append(r.Functions, FunctionStatus{f, slices.Contains(site.Functions, f.Name)})
	}
	available := func(name string) bool { return slices.Contains(site.Functions, name) }
	probe := func(name, needs string, run func() string) {
		if !available(needs) {
			r.Probes = append(r.Probes, Probe{Name: name, Skipped: needs + " is missing"})
			return
		}
		r.Probes = append(r.Probes, Probe{Name: name, Problem: run()})
	}

	probe("read the shop's own account", "core_user_get_users_by_field", func() string {
		u, err := c.UserByRef(ctx, site.UserRef)
		if err != nil {
			return explainProbe(err)
		}
		if u.Username == "" {
			return "user details are hidden: grant moodle/user:viewdetails and moodle/user:viewalldetails"
		}
		return ""
	})
	probe("see course idnumbers (products name courses by idnumber)", "core_course_get_courses_by_field", func() string {
		var res struct {
			Courses []wsCourse `json:"courses"`
		}
		if err := c.callP(ctx, "core_course_get_courses_by_field", params{"field": "id", "value": "1"}, &res); err != nil {
			return explainProbe(err)
		}
		if len(res.Courses) > 0 && res.Courses[0].IDNumber == nil {
			return "Moodle hides course idnumbers from the shop's user: grant moodle/course:update"
		}
		return ""
	})
	if course == "" {
		r.Probes = append(r.Probes, Probe{Name: "course permissions", Skipped: "give --course IDNUMBER (a course the shop sells) to check enrolment, participants and groups"})
		return r, nil
	}
	var courseID int64
	probe("find course "+strconv.Quote(course), "core_course_get_courses_by_field", func() string {
		var res struct {
			Courses []struct {
				ID                int64    `json:"id"`
				EnrollmentMethods []string `json:"enrollmentmethods"`
			} `json:"courses"`
		}
		for _, field := range []string{"idnumber", "shortname"} {
			if err := c.callP(ctx, "core_course_get_courses_by_field", params{"field": field, "value": course}, &res); err != nil {
				return explainProbe(err)
			}
			if len(res.Courses) > 0 {
				break
			}
		}
		switch {
		case len(res.Courses) == 0:
			return "no course has that idnumber or shortname"
		case len(res.Courses) > 1:
			return "several courses have that idnumber: give each its own"
		}
		courseID = res.Courses[0].ID
		if !slices.Contains(res.Courses[0].EnrollmentMethods, "manual") {
			return "the course has no enabled manual enrolment method: add one (Participants > Enrolment methods)"
		}
		return ""
	})
	if courseID == 0 {
		return r, nil
	}
	probe("list the course's participants and their roles", "core_enrol_get_enrolled_users", func() string {
		err := c.callP(ctx, "core_enrol_get_enrolled_users", params{"courseid": courseID,
			"options": []params{{"name": "userfields", "value": "id"}, {"name": "limitnumber", "value": "1"}}}, nil)
		return explainProbe(err)
	})
	probe("read the course's groups", "core_group_get_course_groups", func() string {
		return explainProbe(c.callP(ctx, "core_group_get_course_groups", params{"courseid": courseID}, nil))
	})
	return r, nil
}

// explainProbe turns a probe's error into advice.
func explainProbe(err error) string {
	if err == nil {
		return ""
	}
	e, ok := errors.AsType[*lms.Error](err)
	if !ok {
		return err.Error()
	}
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch e.Code {
	case "nopermissions":
		msg += " — add the capability to the shop user's role"
	case "requireloginerror", "errorcoursecontextnotvalid":
		msg += " — the shop's user must be able to enter courses (moodle/course:view, moodle/course:viewhiddencourses)"
	case "forcepasswordchangenotice", "sitepolicynotagreed", "usernotfullysetup":
		msg += " — sign in once as the shop's user to settle this, or clear it in its profile"
	}
	return msg
}
