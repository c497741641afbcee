package moodle_test

import (
	"strconv"
	"testing"

	"courseshop/internal/lms"
	"courseshop/internal/lms/lmstest"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/lms/moodletest"
)

// TestConformance runs the connectors' conformance suite against the
// client and a fake site of each version.
func TestConformance(t *testing.T) {
	for _, release := range []string{moodletest.Release45, moodletest.Release52} {
		t.Run(release[:3], func(t *testing.T) {
			lmstest.Run(t, lmstest.Harness{New: func(t *testing.T) lmstest.Env {
				// The suite's platform allows accounts sharing an e-mail
				// and lets the shop give manager in categories.
				srv, c := setup(t, moodletest.Options{Release: release, AllowAccountsSameEmail: true}, moodle.Options{})
				srv.SetAssignable("manager", true)
				return lmstest.Env{
					Connector: c,
					Inspector: inspector{srv},
					AddCourse: func(t *testing.T, co lms.Course) int64 {
						return srv.AddCourse(moodletest.Course{CategoryID: co.CategoryID, Shortname: co.Shortname, Fullname: co.Fullname,
							IDNumber: co.IDNumber, Summary: co.Summary, Visible: co.Visible})
					},
					SetPassword: func(t *testing.T, ref, password string) { srv.SetPassword(id(t, ref), password) },
				}
			}})
		})
	}
}

func id(t *testing.T, ref string) int64 {
	n, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		t.Fatalf("ref %q: %v", ref, err)
	}
	return n
}

// inspector reads the fake site's state for the suite.
type inspector struct{ srv *moodletest.Server }

func (i inspector) User(t *testing.T, ref string) *lms.User {
	u, ok := i.srv.User(id(t, ref))
	if !ok {
		return nil
	}
	return &lms.User{Ref: ref, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, City: u.City,
		Country: u.Country, Institution: u.Institution, Department: u.Department, Phone: u.Phone1, Locale: u.Lang, Suspended: u.Suspended}
}

func (i inspector) Enrolment(t *testing.T, userRef string, courseID int64) *lms.Enrolment {
	e, ok := i.srv.Enrolment(id(t, userRef), courseID)
	if !ok {
		return nil
	}
	return &lms.Enrolment{UserRef: userRef, CourseID: courseID, Role: e.Role, Start: e.Start, End: e.End, Suspended: e.Suspended}
}

func (i inspector) RoleAssignments(t *testing.T, userRef string) []lms.RoleAssignment {
	var out []lms.RoleAssignment
	for _, a := range i.srv.RoleAssignments(id(t, userRef)) {
		level := map[string]lms.ContextLevel{"system": lms.ContextSystem, "coursecat": lms.ContextCategory, "course": lms.ContextCourse}[a.ContextLevel]
		out = append(out, lms.RoleAssignment{UserRef: userRef, Role: a.Role, Level: level, InstanceID: a.InstanceID})
	}
	return out
}

func (i inspector) GroupMembers(t *testing.T, courseID int64, group string) []string {
	for _, g := range i.srv.Groups(courseID) {
		if g.Name == group {
			out := []string{}
			for _, m := range i.srv.GroupMembers(g.ID) {
				out = append(out, strconv.FormatInt(m, 10))
			}
			return out
		}
	}
	return nil
}

func (i inspector) CourseTemplate(t *testing.T, courseID int64) int64 {
	c, ok := i.srv.Course(courseID)
	if !ok {
		t.Fatalf("no course %d", courseID)
	}
	return c.TemplateID
}
