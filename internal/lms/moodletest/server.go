// Package moodletest is a stateful fake Moodle site for tests: an
// httptest.Server that speaks Moodle's REST web-service protocol the way
// ../shared/reference/moodle_ws.md describes a real 4.5 or 5.2 site, for
// the functions the shop calls, and nothing more.
//
// Where it follows moodle_ws.md:
//
//   - Transport (§1.1): POST or GET {url}/webservice/rest/server.php with
//     wstoken, wsfunction and moodlewsrestformat (XML by default: a client
//     forgetting json gets XML back); the moodlewssetting* parameters are
//     taken out (moodlewssettingraw=0 escapes names as format_string does).
//     Answers are JSON with the CORS header, `null` for void functions.
//   - Arguments (§1.2): PHP bracket notation is parsed into a tree and
//     validated against each function's description: an unknown key, a
//     missing required key, a list where a value is expected, an int such
//     as "1.5", a boolean such as "true", an uppercase username, tags in a
//     text field are all refused with invalidparameter; defaults are
//     applied to omitted keys.
//   - Errors (§1.4): always HTTP 200 with {"exception","errorcode",
//     "message"} (and "debuginfo" when Options.Debug is set, as on a site
//     with debugging on), namespaced 4.x exception classes; HTTP 403 with
//     an empty body when web services are off; invalidtoken,
//     accessexception (a function left out of the service), invalidrecord
//     (a function the fake does not know), nopermissions (a capability
//     denied with DenyCapability), sitemaintenance.
//   - Warnings (§1.5) of update_users and update_courses; all-or-nothing
//     batches (§1.6) for create, enrol, unenrol, role and group functions.
//   - /login/token.php (§2): tokens for good passwords of the login
//     service, the other error shape ({"error","errorcode",…}) with
//     invalidlogin (also for suspended users), servicenotavailable,
//     enablewsdescription, missingparam, sitemaintenance.
//   - Functions (§4): core_webservice_get_site_info,
//     core_user_get_users_by_field (email matched exactly, as on
//     PostgreSQL; e-mails hidden without moodle/site:viewuseridentity,
//     others' accounts without moodle/user:viewdetails),
//     core_user_get_users (case-insensitive LIKE on names and e-mail),
//     core_user_create_users (password policy, the HTML errorcode of a
//     weak password, createpassword), core_user_update_users (per-user
//     warnings; a weak password answers invalidresponse),
//     core_course_get_courses_by_field (idnumber only with
//     moodle/course:update), core_course_create_courses,
//     core_course_update_courses, core_course_duplicate_course,
//     core_course_create_categories, core_course_get_categories (the
//     idnumber criterion only with moodle/category:manage),
//     enrol_manual_enrol_users (upsert, omitted times meaning 0,
//     wsusercannotassign for roles the shop may not assign, wsnoinstance
//     for the front page or a course without manual enrolment),
//     enrol_manual_unenrol_users (roleid accepted and ignored up to 5.1,
//     refused from 5.2), core_role_assign_roles and
//     core_role_unassign_roles (context level and instance id; contextid
//     is not supported), core_enrol_get_enrolled_users (roles, groups,
//     options userfields, onlyactive, onlysuspended, groupid, limitfrom,
//     limitnumber), core_enrol_get_users_courses (active enrolments
//     only, [] for an unknown user), core_group_get_course_groups,
//     core_group_create_groups, core_group_add_group_members (only
//     enrolled users).
//
// A fresh site has the guest (1), the administrator (2) and the shop's
// integration user "shopws" (3, the token's user, not an administrator),
// category 1, the front page course 1, the standard roles with their
// standard ids plus "customer" (9) and "supervisor" (10), of which the
// shop may assign editingteacher, teacher, student, customer and
// supervisor. Faults (503, a hang, a connection reset) can be queued for
// the next requests. Inspection methods return copies of the state.
package moodletest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Releases of the two versions the fake imitates.
const (
	Release45 = "4.5.6 (Build: 20250811)"
	Release52 = "5.2 (Build: 20260420)"
)

// Options configure a fake site. Zero values take the defaults.
type Options struct {
	Release      string // default Release45
	SiteName     string // default "Courseshop test Moodle"
	Token        string // the shop's web-service token; default a fixed 32-hex string
	LoginService string // the service token.php accepts; default "moodle_mobile_app"
	Path         string // wwwroot path, e.g. "/moodle"; default none
	// Debug adds debuginfo to error answers, as a site with debugging on
	// does; a production site sends only the generic message.
	Debug bool
	// ShopUserIsAdmin makes the token's user a site administrator: every
	// capability, DenyCapability notwithstanding.
	ShopUserIsAdmin bool
	// AllowAccountsSameEmail is Moodle's allowaccountssameemail setting:
	// off (the default), creating or changing an account to an e-mail
	// another account has (compared case-insensitively) is refused.
	AllowAccountsSameEmail bool
}

// DefaultToken is the shop's token unless Options.Token says otherwise.
const DefaultToken = "0123456789abcdef0123456789abcdef"

// Fault is a failure injected instead of the next answer.
type Fault int

// Faults FailNext can inject.
const (
	// Unavailable answers HTTP 503 with an HTML page.
	Unavailable Fault = iota + 1
	// BadGateway answers HTTP 502, as a proxy before a dead PHP does.
	BadGateway
	// Hang never answers: the request waits until the client gives up.
	Hang
	// Reset closes the connection without an answer (TCP reset).
	Reset
)

// Call is one request the fake received.
type Call struct {
	Function string     // wsfunction, or "login/token.php"
	Args     url.Values // the arguments, without the token (token.php: without the password)
	Error    string     // the errorcode answered, if any
	Debug    string     // why, in words (also when Options.Debug is off)
	Fault    Fault      // the fault injected instead of an answer, if any
	At       time.Time
}

// Server is a fake Moodle site.
type Server struct {
	srv     *httptest.Server
	opt     Options
	major   int
	minor   int
	closing chan struct{}
	once    sync.Once

	mu          sync.Mutex
	wsEnabled   bool
	loginOn     bool
	maintenance bool
	removed     map[string]bool
	denied      map[string]bool
	faults      []Fault
	calls       []Call

	users      map[int64]*User
	categories map[int64]*Category
	courses    map[int64]*Course
	enrolments map[[2]int64]*enrolment
	assigns    []RoleAssignment
	roles      map[int64]*Role
	assignable map[int64]bool
	groups     map[int64]*Group
	members    map[int64]map[int64]bool
	nextID     map[string]int64
	fns        map[string]function
}

// User is an account of the fake site.
type User struct {
	ID          int64
	Username    string
	Password    string // empty: cannot sign in (e.g. created with createpassword until SetPassword)
	Email       string
	FirstName   string
	LastName    string
	City        string
	Country     string
	Institution string
	Department  string
	Phone1      string
	Lang        string
	Auth        string
	IDNumber    string
	Suspended   bool
	Deleted     bool
	SiteAdmin   bool
	// PasswordMailed is set for accounts created with createpassword=1:
	// Moodle mails them a generated password.
	PasswordMailed bool
	TimeCreated    int64
	TimeModified   int64
}

// Category is a course category.
type Category struct {
	ID           int64
	Parent       int64
	Name         string
	IDNumber     string
	Description  string
	TimeModified int64
}

// Course is a course; course 1 is the site's front page (format "site").
type Course struct {
	ID           int64
	CategoryID   int64
	Shortname    string
	Fullname     string
	IDNumber     string
	Summary      string
	Format       string
	Visible      bool
	Lang         string
	ManualEnrol  bool  // an enabled manual enrolment instance
	TemplateID   int64 // the course it was duplicated from
	TimeCreated  int64
	TimeModified int64
}

// Role is a role of the site.
type Role struct {
	ID        int64
	Shortname string
	Name      string
	SortOrder int64
}

// RoleAssignment is a role given to a user in a context. Component is
// "enrol_manual" for the role an enrolment gave, "" for a role assigned
// directly (core_role_assign_roles).
type RoleAssignment struct {
	UserID       int64
	RoleID       int64
	Role         string // shortname
	ContextLevel string // system, coursecat, course
	InstanceID   int64
	Component    string
}

// Group is a course group.
type Group struct {
	ID          int64
	CourseID    int64
	Name        string
	IDNumber    string
	Description string
}

// Enrolment is a user's manual enrolment in a course, with the roles the
// user holds in the course.
type Enrolment struct {
	UserID    int64
	CourseID  int64
	Start     time.Time // zero: no start limit
	End       time.Time // zero: never ends
	Suspended bool
	Role      string   // the role the enrolment gave (the first, if enrolled again with others)
	Roles     []string // shortnames of all the user's roles in the course, sorted
}

type enrolment struct {
	timeStart, timeEnd int64
	suspended          bool
	timeCreated        int64
}

// New starts a fake site; Close it when done.
func New(opt Options) *Server {
	if opt.Release == "" {
		opt.Release = Release45
	}
	if opt.SiteName == "" {
		opt.SiteName = "Courseshop test Moodle"
	}
	if opt.Token == "" {
		opt.Token = DefaultToken
	}
	if opt.LoginService == "" {
		opt.LoginService = "moodle_mobile_app"
	}
	opt.Path = strings.TrimRight(opt.Path, "/")
	s := &Server{opt: opt, closing: make(chan struct{}), wsEnabled: true, loginOn: true,
		removed: map[string]bool{}, denied: map[string]bool{},
		users: map[int64]*User{}, categories: map[int64]*Category{}, courses: map[int64]*Course{},
		enrolments: map[[2]int64]*enrolment{}, roles: map[int64]*Role{}, assignable: map[int64]bool{},
		groups: map[int64]*Group{}, members: map[int64]map[int64]bool{}, nextID: map[string]int64{}}
	s.major, s.minor = parseRelease(opt.Release)
	now := time.Now().Unix()
	for _, u := range []*User{
		{Username: "guest", FirstName: "Guest user", LastName: " ", Email: "root@localhost", Auth: "manual"},
		{Username: "admin", Password: "Admin-2026!", FirstName: "Admin", LastName: "User", Email: "admin@moodle.test", Auth: "manual", SiteAdmin: true},
		{Username: "shopws", FirstName: "Course", LastName: "Shop", Email: "shopws@moodle.test", Auth: "manual", SiteAdmin: opt.ShopUserIsAdmin},
	} {
		u.TimeCreated, u.TimeModified = now, now
		s.addUser(u)
	}
	s.addCategory(&Category{Name: "Category 1", TimeModified: now})
	s.addCourse(&Course{Shortname: "moodle", Fullname: opt.SiteName, Format: "site", Visible: true, TimeCreated: now, TimeModified: now})
	for i, r := range [][2]string{{"manager", "Manager"}, {"coursecreator", "Course creator"}, {"editingteacher", "Teacher"},
		{"teacher", "Non-editing teacher"}, {"student", "Student"}, {"guest", "Guest"}, {"user", "Authenticated user"},
		{"frontpage", "Authenticated user on site home"}, {"customer", "Customer"}, {"supervisor", "Supervisor"}} {
		id := s.newID("role")
		s.roles[id] = &Role{ID: id, Shortname: r[0], Name: r[1], SortOrder: int64(i + 1)}
	}
	for _, name := range []string{"editingteacher", "teacher", "student", "customer", "supervisor"} {
		s.assignable[s.roleIDLocked(name)] = true
	}
	s.fns = s.functions()
	mux := http.NewServeMux()
	mux.HandleFunc(opt.Path+"/webservice/rest/server.php", s.serveREST)
	mux.HandleFunc(opt.Path+"/login/token.php", s.serveToken)
	mux.HandleFunc(opt.Path+"/login/forgot_password.php", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><title>Forgotten password</title><h1>Forgotten password</h1>")
	})
	s.srv = httptest.NewServer(mux)
	return s
}

func parseRelease(r string) (int, int) {
	end := 0
	for end < len(r) && (r[end] == '.' || (r[end] >= '0' && r[end] <= '9')) {
		end++
	}
	parts := strings.Split(r[:end], ".")
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major, minor
}

func (s *Server) atLeast(major, minor int) bool {
	return s.major > major || (s.major == major && s.minor >= minor)
}

// URL returns the site's wwwroot.
func (s *Server) URL() string { return s.srv.URL + s.opt.Path }

// Token returns the shop's web-service token.
func (s *Server) Token() string { return s.opt.Token }

// Close stops the site; requests left hanging by a fault end first.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.srv.Close()
}

// ShopUserID is the id of the token's user.
const ShopUserID = 3

func (s *Server) newID(kind string) int64 {
	s.nextID[kind]++
	return s.nextID[kind]
}

func (s *Server) addUser(u *User) int64 {
	u.ID = s.newID("user")
	if u.Auth == "" {
		u.Auth = "manual"
	}
	s.users[u.ID] = u
	return u.ID
}

func (s *Server) addCategory(c *Category) int64 {
	c.ID = s.newID("category")
	s.categories[c.ID] = c
	return c.ID
}

func (s *Server) addCourse(c *Course) int64 {
	c.ID = s.newID("course")
	if c.Format == "" {
		c.Format = "topics"
	}
	if c.ID != 1 {
		c.ManualEnrol = true // added to new courses by default
	}
	s.courses[c.ID] = c
	return c.ID
}

// --- controls ---

// SetWebServices turns web services on or off: off, server.php answers
// HTTP 403 with an empty body and token.php enablewsdescription.
func (s *Server) SetWebServices(on bool) { s.mu.Lock(); s.wsEnabled = on; s.mu.Unlock() }

// SetLoginService enables or disables the service token.php accepts
// (off: servicenotavailable).
func (s *Server) SetLoginService(on bool) { s.mu.Lock(); s.loginOn = on; s.mu.Unlock() }

// SetMaintenance puts the site in maintenance mode (sitemaintenance).
func (s *Server) SetMaintenance(on bool) { s.mu.Lock(); s.maintenance = on; s.mu.Unlock() }

// RemoveFunction takes a function out of the shop's external service:
// calls answer accessexception and site info no longer lists it.
func (s *Server) RemoveFunction(name string) { s.mu.Lock(); s.removed[name] = true; s.mu.Unlock() }

// AddFunction puts a removed function back.
func (s *Server) AddFunction(name string) { s.mu.Lock(); delete(s.removed, name); s.mu.Unlock() }

// DenyCapability takes a capability (e.g. "moodle/user:create") from the
// shop's user.
func (s *Server) DenyCapability(capability string) {
	s.mu.Lock()
	s.denied[capability] = true
	s.mu.Unlock()
}

// AllowCapability gives a denied capability back.
func (s *Server) AllowCapability(capability string) {
	s.mu.Lock()
	delete(s.denied, capability)
	s.mu.Unlock()
}

// SetAssignable sets whether the shop's user may assign a role (its
// "Allow role assignments" entry).
func (s *Server) SetAssignable(shortname string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id := s.roleIDLocked(shortname); id > 0 {
		s.assignable[id] = ok
	}
}

// FailNext makes the next n requests (to server.php or token.php) fail
// with f instead of being answered.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the requests received for one function.
func (s *Server) CallsTo(function string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Function == function {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the requests received so far.
func (s *Server) ResetCalls() { s.mu.Lock(); s.calls = nil; s.mu.Unlock() }

// --- seeding and inspection ---

// AddUser creates an account directly (as an administrator would) and
// returns its id.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().Unix()
	u.TimeCreated, u.TimeModified = now, now
	return s.addUser(&u)
}

// SetPassword sets an account's password, as its owner following the
// reset link would.
func (s *Server) SetPassword(id int64, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.Password = password
	}
}

// User returns an account.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return User{}, false
	}
	return *u, true
}

// UserByUsername returns an account by username.
func (s *Server) UserByUsername(username string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Username == username && !u.Deleted {
			return *u, true
		}
	}
	return User{}, false
}

// Users returns every account, by id.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b User) int { return int(a.ID - b.ID) })
	return out
}

// AddCategory creates a category directly and returns its id.
func (s *Server) AddCategory(c Category) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.TimeModified = time.Now().Unix()
	return s.addCategory(&c)
}

// Categories returns every category, by id.
func (s *Server) Categories() []Category {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Category, 0, len(s.categories))
	for _, c := range s.categories {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Category) int { return int(a.ID - b.ID) })
	return out
}

// AddCourse creates a course directly (with an enabled manual enrolment
// unless ManualEnrol is turned off afterwards) and returns its id.
func (s *Server) AddCourse(c Course) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().Unix()
	c.TimeCreated, c.TimeModified = now, now
	if c.CategoryID == 0 {
		c.CategoryID = 1
	}
	return s.addCourse(&c)
}

// SetManualEnrol enables or disables a course's manual enrolment.
func (s *Server) SetManualEnrol(courseID int64, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.courses[courseID]; c != nil {
		c.ManualEnrol = on
	}
}

// Course returns a course.
func (s *Server) Course(id int64) (Course, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.courses[id]
	if c == nil {
		return Course{}, false
	}
	return *c, true
}

// CourseByIDNumber returns a course by idnumber.
func (s *Server) CourseByIDNumber(idnumber string) (Course, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.courses {
		if c.IDNumber == idnumber && idnumber != "" {
			return *c, true
		}
	}
	return Course{}, false
}

// Courses returns every course but the front page, by id.
func (s *Server) Courses() []Course {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Course, 0, len(s.courses))
	for _, c := range s.courses {
		if c.Format != "site" {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b Course) int { return int(a.ID - b.ID) })
	return out
}

// AddRole creates a role and returns its id; the shop may assign it.
func (s *Server) AddRole(shortname, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID("role")
	s.roles[id] = &Role{ID: id, Shortname: shortname, Name: name, SortOrder: id}
	s.assignable[id] = true
	return id
}

// RoleID returns the id of a role, 0 if there is none.
func (s *Server) RoleID(shortname string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roleIDLocked(shortname)
}

func (s *Server) roleIDLocked(shortname string) int64 {
	for _, r := range s.roles {
		if r.Shortname == shortname {
			return r.ID
		}
	}
	return 0
}

// Enrolment returns a user's manual enrolment in a course, with the roles
// the user holds there.
func (s *Server) Enrolment(userID, courseID int64) (Enrolment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.enrolments[[2]int64{userID, courseID}]
	if e == nil {
		return Enrolment{}, false
	}
	out := Enrolment{UserID: userID, CourseID: courseID, Suspended: e.suspended, Roles: []string{}}
	if e.timeStart > 0 {
		out.Start = time.Unix(e.timeStart, 0).UTC()
	}
	if e.timeEnd > 0 {
		out.End = time.Unix(e.timeEnd, 0).UTC()
	}
	for _, a := range s.assigns {
		if a.UserID == userID && a.ContextLevel == "course" && a.InstanceID == courseID {
			if a.Component == "enrol_manual" && out.Role == "" {
				out.Role = a.Role
			}
			if !slices.Contains(out.Roles, a.Role) {
				out.Roles = append(out.Roles, a.Role)
			}
		}
	}
	slices.Sort(out.Roles)
	return out, true
}

// Enrolments returns the manual enrolments of a course.
func (s *Server) Enrolments(courseID int64) []Enrolment {
	s.mu.Lock()
	var users []int64
	for k := range s.enrolments {
		if k[1] == courseID {
			users = append(users, k[0])
		}
	}
	s.mu.Unlock()
	slices.Sort(users)
	out := make([]Enrolment, 0, len(users))
	for _, u := range users {
		if e, ok := s.Enrolment(u, courseID); ok {
			out = append(out, e)
		}
	}
	return out
}

// RoleAssignments returns a user's role assignments.
func (s *Server) RoleAssignments(userID int64) []RoleAssignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RoleAssignment
	for _, a := range s.assigns {
		if a.UserID == userID {
			out = append(out, a)
		}
	}
	return out
}

// Groups returns a course's groups, by id.
func (s *Server) Groups(courseID int64) []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Group
	for _, g := range s.groups {
		if g.CourseID == courseID {
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b Group) int { return int(a.ID - b.ID) })
	return out
}

// GroupMembers returns the ids of a group's members, sorted.
func (s *Server) GroupMembers(groupID int64) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for u := range s.members[groupID] {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// --- HTTP ---

// exception is a Moodle exception as server.php reports it.
type exception struct {
	class, code, message, debug string
}

func (s *Server) record(c Call) {
	c.At = time.Now()
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

// injectFault answers with the next queued fault, if any.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, function string, args url.Values) bool {
	s.mu.Lock()
	var f Fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	if f == 0 {
		return false
	}
	s.record(Call{Function: function, Args: args, Fault: f})
	switch f {
	case Unavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
	case BadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case Reset:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("moodletest: cannot hijack the connection")
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return true
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset, not an orderly close
		}
		conn.Close()
	}
	return true
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	function := r.Form.Get("wsfunction")
	args := url.Values{}
	for k, v := range r.Form {
		if k != "wstoken" {
			args[k] = v
		}
	}
	if s.injectFault(w, r, function, args) {
		return
	}
	s.mu.Lock()
	enabled := s.wsEnabled
	s.mu.Unlock()
	if !enabled {
		// Web services or REST disabled: 403, empty body (moodle_ws.md §1.4).
		s.record(Call{Function: function, Args: args, Error: "403", Debug: "web services are disabled"})
		w.WriteHeader(http.StatusForbidden)
		return
	}
	result, exc := s.dispatch(r.Form)
	call := Call{Function: function, Args: args}
	if exc != nil {
		call.Error, call.Debug = exc.code, exc.debug
	}
	s.record(call)

	if r.Form.Get("moodlewsrestformat") != "json" {
		// XML is the default format, also for errors; the fake does not
		// speak it beyond saying so.
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		io.WriteString(w, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<EXCEPTION class=\"moodletest\"><MESSAGE>the fake answers moodlewsrestformat=json only</MESSAGE></EXCEPTION>\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "private, must-revalidate, pre-check=0, post-check=0, max-age=0")
	var body any = result
	if exc != nil {
		m := map[string]any{"exception": exc.class, "errorcode": exc.code, "message": exc.message}
		if s.opt.Debug && exc.debug != "" {
			m["debuginfo"] = exc.debug
		}
		body = m
	}
	w.Write(phpJSON(body))
}

// phpJSON encodes v as PHP's json_encode does by default: "/" as "\/",
// characters beyond ASCII as \uXXXX escapes, no HTML escaping.
func phpJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // the fake's own values always encode
	}
	var out strings.Builder
	// Outside strings JSON has neither "/" nor non-ASCII, so rewriting
	// every occurrence only touches string contents.
	for _, r := range strings.TrimSuffix(buf.String(), "\n") {
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r < 0x80:
			out.WriteRune(r)
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&out, `\u%04x`, u)
			}
		}
	}
	return []byte(out.String())
}

// dispatch runs a web-service call: token, function, service, arguments,
// capabilities, then the function, all under the site's lock.
func (s *Server) dispatch(form url.Values) (any, *exception) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if form.Get("wstoken") != s.opt.Token {
		return nil, &exception{"moodle_exception", "invalidtoken", "Invalid token - token not found", ""}
	}
	if s.maintenance {
		return nil, &exception{"moodle_exception", "sitemaintenance", "The site is undergoing maintenance and is currently not available", ""}
	}
	name := form.Get("wsfunction")
	if name == "" {
		return nil, &exception{"moodle_exception", "missingparam", "A required parameter (wsfunction) was missing", "wsfunction"}
	}
	fn, ok := s.fns[name]
	if !ok {
		return nil, &exception{"dml_missing_record_exception", "invalidrecord", "Can't find data record in database table external_functions.",
			"SELECT * FROM {external_functions} WHERE name = ?\n[array (\n  0 => '" + name + "',\n)]"}
	}
	if s.removed[name] {
		return nil, &exception{"webservice_access_exception", "accessexception", "Access control exception",
			"Access to the function " + name + "() is not allowed. There could be multiple reasons for this: 1. The service linked to the user token does not contain the function."}
	}
	raw := url.Values{}
	settingRaw := false
	for k, v := range form {
		switch {
		case k == "wstoken" || k == "wsfunction" || k == "moodlewsrestformat":
		case strings.HasPrefix(k, "moodlewssetting"):
			if k == "moodlewssettingraw" && len(v) > 0 && (v[0] == "1" || v[0] == "true") {
				settingRaw = true
			}
		default:
			raw[k] = v
		}
	}
	t, err := parseForm(raw)
	if err != nil {
		return nil, invalidParam(err.Error())
	}
	cleaned, err := validate(obj(fn.params), t, "")
	if err != nil {
		return nil, invalidParam(err.Error())
	}
	for _, c := range fn.caps {
		if !s.can(c) {
			return nil, noPermission(c)
		}
	}
	return fn.run(&request{s: s, raw: settingRaw}, cleaned.(map[string]any))
}

func invalidParam(debug string) *exception {
	return &exception{`core\exception\invalid_parameter_exception`, "invalidparameter", "Invalid parameter value detected", debug}
}

func noPermission(capability string) *exception {
	return &exception{`core\exception\required_capability_exception`, "nopermissions",
		"Sorry, but you do not currently have permissions to do that (" + capabilityName(capability) + ").", capability}
}

// can reports whether the shop's user has a capability.
func (s *Server) can(capability string) bool {
	if u := s.users[ShopUserID]; u != nil && u.SiteAdmin {
		return true
	}
	return !s.denied[capability]
}

// capabilityName gives the words Moodle shows for a capability.
func capabilityName(c string) string {
	switch c {
	case "moodle/user:create":
		return "Create users"
	case "moodle/user:update":
		return "Update user profiles"
	case "moodle/course:create":
		return "Create courses"
	case "moodle/course:update":
		return "Update course settings"
	case "moodle/category:manage":
		return "Manage course categories"
	case "enrol/manual:enrol":
		return "Enrol users"
	case "enrol/manual:unenrol":
		return "Unenrol users from the course"
	case "moodle/role:assign":
		return "Assign roles to users"
	case "moodle/course:viewparticipants":
		return "View participants"
	case "moodle/course:managegroups":
		return "Manage groups"
	case "moodle/backup:backupcourse":
		return "Backup courses"
	case "moodle/restore:restorecourse":
		return "Restore courses"
	}
	return c
}

// tokenError answers token.php's own error shape (moodle_ws.md §2).
func tokenError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"error": msg, "errorcode": code, "stacktrace": nil, "debuginfo": nil, "reproductionlink": nil})
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	args := url.Values{"username": r.Form["username"], "service": r.Form["service"]}
	const fn = "login/token.php"
	if s.injectFault(w, r, fn, args) {
		return
	}
	code, msg, token := s.login(r.Form)
	s.record(Call{Function: fn, Args: args, Error: code, Debug: msg})
	if code != "" {
		tokenError(w, code, msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Form.Get("appsitecheck") == "1" && token == "" {
		io.WriteString(w, `{"appsitecheck":"ok"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"token": token, "privatetoken": nil})
}

// login checks token.php's form and returns an error code and message, or
// a token.
func (s *Server) login(form url.Values) (code, msg, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.wsEnabled {
		return "enablewsdescription", "Web services must be enabled in Advanced features.", ""
	}
	if form.Get("appsitecheck") == "1" {
		return "", "", ""
	}
	for _, p := range []string{"username", "password", "service"} {
		if form.Get(p) == "" {
			return "missingparam", "A required parameter (" + p + ") was missing", ""
		}
	}
	if s.maintenance {
		return "sitemaintenance", "The site is undergoing maintenance and is currently not available", ""
	}
	if form.Get("service") != s.opt.LoginService || !s.loginOn {
		return "servicenotavailable", "Web service is not available (it doesn't exist or might be disabled)", ""
	}
	username := strings.ToLower(strings.TrimSpace(form.Get("username")))
	for _, u := range s.users {
		if u.Username == username && !u.Deleted && !u.Suspended && u.Auth == "manual" && u.Password != "" && u.Password == form.Get("password") {
			sum := sha256.Sum256([]byte(s.opt.Token + "/" + u.Username))
			return "", "", hex.EncodeToString(sum[:16])
		}
	}
	// Wrong password, unknown or suspended user: the same answer.
	return "invalidlogin", "Invalid login, please try again", ""
}

// request is the context of one function run.
type request struct {
	s   *Server
	raw bool // moodlewssettingraw: strings as stored, not through format_string
}

// format renders a name as format_string does unless raw text was asked.
func (r *request) format(s string) string {
	if r.raw {
		return s
	}
	return html.EscapeString(s)
}
