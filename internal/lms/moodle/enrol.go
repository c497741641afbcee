package moodle

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"courseshop/internal/lms"
)

// DefaultRole is the role of an enrolment that names none.
const DefaultRole = "student"

// Enrol enrols a user in a course with a role for a period, through the
// course's manual enrolment. Moodle updates an existing manual enrolment
// in place, and treats an omitted time or suspend flag as 0, so all of
// them are always sent: a zero Start is "no start limit" (access from
// now), a zero End "never ends".
func (c *Client) Enrol(ctx context.Context, e lms.Enrolment) error {
	return c.EnrolMany(ctx, []lms.Enrolment{e})
}

// EnrolMany enrols several users, Options.BatchSize per call. Moodle
// applies each call in one transaction: a failing item fails its whole
// batch, while earlier batches stay applied. Enrolling is idempotent, so
// the caller may simply try everything again.
func (c *Client) EnrolMany(ctx context.Context, es []lms.Enrolment) error {
	const op = "enrol_manual_enrol_users"
	items := make([]params, 0, len(es))
	for _, e := range es {
		uid, err := userID(op, e.UserRef)
		if err != nil {
			return err
		}
		role := e.Role
		if role == "" {
			role = DefaultRole
		}
		rid, err := c.roleID(ctx, op, role, e.CourseID)
		if err != nil {
			return err
		}
		item := params{"roleid": rid, "userid": uid, "courseid": e.CourseID, "timestart": int64(0), "timeend": int64(0), "suspend": boolInt(e.Suspended)}
		if !e.Start.IsZero() {
			item["timestart"] = e.Start.Unix()
		}
		if !e.End.IsZero() {
			item["timeend"] = e.End.Unix()
		}
		items = append(items, item)
	}
	return c.batches(ctx, op, "enrolments", items, es, func(e lms.Enrolment) int64 { return e.CourseID })
}

// Unenrol removes a user's manual enrolment from a course, with the roles
// it gave; unenrolling someone not enrolled is not an error.
func (c *Client) Unenrol(ctx context.Context, userRef string, courseID int64) error {
	return c.UnenrolMany(ctx, []lms.Enrolment{{UserRef: userRef, CourseID: courseID}})
}

// UnenrolMany unenrols several users (only UserRef and CourseID are read),
// Options.BatchSize per call. roleid is never sent: Moodle ignored it up
// to 5.1 and 5.2 removed it, so that sending it is an error there.
func (c *Client) UnenrolMany(ctx context.Context, es []lms.Enrolment) error {
	const op = "enrol_manual_unenrol_users"
	items := make([]params, 0, len(es))
	for _, e := range es {
		uid, err := userID(op, e.UserRef)
		if err != nil {
			return err
		}
		items = append(items, params{"userid": uid, "courseid": e.CourseID})
	}
	return c.batches(ctx, op, "enrolments", items, es, func(e lms.Enrolment) int64 { return e.CourseID })
}

// batches sends items in calls of Options.BatchSize under the list
// argument name, and explains the errors of each call.
func (c *Client) batches(ctx context.Context, op, name string, items []params, es []lms.Enrolment, course func(lms.Enrolment) int64) error {
	for start := 0; start < len(items); start += c.opt.BatchSize {
		end := min(start+c.opt.BatchSize, len(items))
		if err := c.callP(ctx, op, params{name: items[start:end]}, nil); err != nil {
			// Which course is meant is only clear when the batch has one.
			var courseID int64
			for i, e := range es[start:end] {
				if i == 0 {
					courseID = course(e)
				} else if course(e) != courseID {
					courseID = 0
					break
				}
			}
			return c.explain(ctx, err, courseID)
		}
	}
	return nil
}

// explain wraps the sentinel of package lms into errors whose code says
// what is missing. Moodle reports an unknown course as a bare
// invalidparameter ("Context does not exist" only shows with debugging),
// so the course is looked up to tell.
func (c *Client) explain(ctx context.Context, err error, courseID int64) error {
	e, ok := errors.AsType[*lms.Error](err)
	if !ok || e.Err != nil {
		return err
	}
	switch e.Code {
	case "invaliduser":
		e.Err = lms.ErrNoUser
	case "invalidparameter", "invalidrecord":
		if courseID > 0 {
			if _, cerr := c.Course(ctx, lms.CourseRef{ID: courseID}); isNoCourse(cerr) {
				e.Err = lms.ErrNoCourse
			}
		}
	}
	return e
}

// contextLevel gives Moodle's name of a context level (PARAM_ALPHA:
// numbers are refused).
func contextLevel(l lms.ContextLevel) (string, bool) {
	switch l {
	case lms.ContextSystem:
		return "system", true
	case lms.ContextCategory:
		return "coursecat", true
	case lms.ContextCourse:
		return "course", true
	}
	return "", false
}

// AssignRole gives a user a role in a context (a course role given this
// way is not an enrolment). Assigning it again changes nothing.
func (c *Client) AssignRole(ctx context.Context, a lms.RoleAssignment) error {
	return c.roleAssignment(ctx, "core_role_assign_roles", "assignments", a)
}

// UnassignRole takes a role back; taking back a role the user does not
// have changes nothing.
func (c *Client) UnassignRole(ctx context.Context, a lms.RoleAssignment) error {
	return c.roleAssignment(ctx, "core_role_unassign_roles", "unassignments", a)
}

func (c *Client) roleAssignment(ctx context.Context, op, name string, a lms.RoleAssignment) error {
	uid, err := userID(op, a.UserRef)
	if err != nil {
		return err
	}
	level, ok := contextLevel(a.Level)
	if !ok {
		return fail(op, "", "unknown context level "+strconv.Quote(string(a.Level)), false, nil)
	}
	instance := a.InstanceID
	var course int64
	switch a.Level {
	case lms.ContextSystem:
		instance = 0
	case lms.ContextCourse:
		course = instance
	}
	rid, err := c.roleID(ctx, op, a.Role, course)
	if err != nil {
		return err
	}
	err = c.callP(ctx, op, params{name: []params{{"roleid": rid, "userid": uid, "contextlevel": level, "instanceid": instance}}}, nil)
	if err != nil {
		return c.explain(ctx, err, course)
	}
	return nil
}

// standardRoleID gives the id a fresh Moodle install gives a standard
// role (lib/db/install.php creates them in this order).
func standardRoleID(shortname string) (int64, bool) {
	switch shortname {
	case "manager":
		return 1, true
	case "coursecreator":
		return 2, true
	case "editingteacher":
		return 3, true
	case "teacher":
		return 4, true
	case "student":
		return 5, true
	case "guest":
		return 6, true
	case "user":
		return 7, true
	case "frontpage":
		return 8, true
	}
	return 0, false
}

// roleID turns a role shortname into this site's role id. Moodle has no
// function listing roles (moodle_ws.md §4.8), so the order is: the ids
// configured in Options.RoleIDs or learnt earlier; the roles held by the
// participants of the course at hand (core_enrol_get_enrolled_users, every
// role seen is remembered); a standard install's id for a standard role.
// The last guess is not remembered, so a later course can correct it.
func (c *Client) roleID(ctx context.Context, op, shortname string, courseID int64) (int64, error) {
	shortname = strings.TrimSpace(shortname)
	if shortname == "" {
		return 0, fail(op, "unknownrole", "no role given", false, nil)
	}
	if id, ok := c.knownRole(shortname); ok {
		return id, nil
	}
	var learnErr error
	if courseID > 0 {
		learnErr = c.learnRoles(ctx, courseID)
		if id, ok := c.knownRole(shortname); ok {
			return id, nil
		}
	}
	if id, ok := standardRoleID(shortname); ok {
		return id, nil
	}
	if lms.Retryable(learnErr) {
		return 0, learnErr
	}
	msg := "Moodle has no function listing roles, and no participant of the course holds role " + strconv.Quote(shortname) +
		": configure the role's id"
	if learnErr != nil {
		msg += " (reading the course's participants failed: " + learnErr.Error() + ")"
	}
	return 0, fail(op, "unknownrole", msg, false, nil)
}

// CheckRole says whether the client can tell the id of role (configured,
// learnt from the participants of courseID when not 0, or a standard
// role's), as enrolling or assigning it will need.
func (c *Client) CheckRole(ctx context.Context, role string, courseID int64) error {
	_, err := c.roleID(ctx, "roles", role, courseID)
	return err
}

func (c *Client) knownRole(shortname string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.roles[shortname]
	return id, ok
}

// learnRoles remembers the roles the participants of a course hold.
func (c *Client) learnRoles(ctx context.Context, courseID int64) error {
	var users []struct {
		Roles []struct {
			RoleID    int64  `json:"roleid"`
			Shortname string `json:"shortname"`
		} `json:"roles"`
	}
	p := params{"courseid": courseID, "options": []params{{"name": "userfields", "value": "id,roles"}}}
	if err := c.callP(ctx, "core_enrol_get_enrolled_users", p, &users); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range users {
		for _, r := range u.Roles {
			if !c.configured[r.Shortname] && r.Shortname != "" && r.RoleID > 0 {
				c.roles[r.Shortname] = r.RoleID
			}
		}
	}
	return nil
}

// Enrolled reads the user's courses (core_enrol_get_users_courses), which
// lists only the enrolments that let the user in now and nothing for a
// user the site does not know (moodle_ws.md §4.11).
func (c *Client) Enrolled(ctx context.Context, userRef string, courseID int64) (bool, error) {
	const op = "core_enrol_get_users_courses"
	uid, err := userID(op, userRef)
	if err != nil {
		return false, nil
	}
	var courses []struct {
		ID int64 `json:"id"`
	}
	if err := c.callP(ctx, op, params{"userid": uid, "returnusercount": 0}, &courses); err != nil {
		return false, err
	}
	for _, co := range courses {
		if co.ID == courseID {
			return true, nil
		}
	}
	return false, nil
}

// AddToGroup adds a user, who must be enrolled in the course, to the
// course group with that name, creating the group when it is missing.
// Adding a member again changes nothing.
func (c *Client) AddToGroup(ctx context.Context, courseID int64, group, userRef string) error {
	const op = "core_group_add_group_members"
	uid, err := userID(op, userRef)
	if err != nil {
		return err
	}
	gid, err := c.groupID(ctx, courseID, strings.TrimSpace(group))
	if err != nil {
		return err
	}
	if err := c.callP(ctx, op, params{"members": []params{{"groupid": gid, "userid": uid}}}, nil); err != nil {
		return c.explain(ctx, err, 0)
	}
	return nil
}

// groupID finds or creates the course group with that name. When two
// callers create it at once, Moodle refuses the second name, and the
// group the first one made is looked up again.
func (c *Client) groupID(ctx context.Context, courseID int64, name string) (int64, error) {
	const op = "core_group_create_groups"
	if name == "" {
		return 0, fail(op, "", "no group name given", false, nil)
	}
	find := func() (int64, error) {
		const op = "core_group_get_course_groups"
		args, err := encode(params{"courseid": courseID})
		if err != nil {
			return 0, fail(op, "", "", false, err)
		}
		args.Set("moodlewssettingraw", "1") // names as stored
		var groups []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := c.call(ctx, op, args, &groups); err != nil {
			if e, ok := errors.AsType[*lms.Error](err); ok && e.Code == "invalidrecord" && e.Err == nil {
				e.Err = lms.ErrNoCourse // the course is the only record it reads
			}
			return 0, err
		}
		for _, g := range groups {
			if g.Name == name {
				return g.ID, nil
			}
		}
		return 0, nil
	}
	id, err := find()
	if err != nil || id > 0 {
		return id, err
	}
	var created []struct {
		ID int64 `json:"id"`
	}
	err = c.callP(ctx, op, params{"groups": []params{{"courseid": courseID, "name": name, "description": ""}}}, &created)
	if err != nil {
		if again, ferr := find(); ferr == nil && again > 0 {
			return again, nil
		}
		return 0, c.explain(ctx, err, courseID)
	}
	if len(created) != 1 || created[0].ID <= 0 {
		return 0, fail(op, "badresponse", "Moodle did not return the new group", false, nil)
	}
	return created[0].ID, nil
}
