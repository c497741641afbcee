// Package lms describes the learning platform as the shop sees it: the
// Connector port that the checkout and the production handlers call, its
// records, and its error classification. Two connectors implement it: the
// built-in one (lms/local, data in the shop database) and Moodle's REST web
// services (lms/moodle).
package lms

import (
	"cmp"
	"context"
	"errors"
	"time"
)

// Course is a course of the learning platform. Products refer to courses by
// IDNumber or Shortname, which stay stable across LMS instances.
type Course struct {
	ID         int64
	CategoryID int64 // 0 when uncategorised
	Shortname  string
	Fullname   string
	IDNumber   string // empty when the LMS has none
	Summary    string
	Visible    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Category is a course category of the learning platform.
type Category struct {
	ID        int64
	ParentID  int64 // 0 for a top category
	Name      string
	IDNumber  string // empty when the LMS has none
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a user account of the learning platform, as the shop sees it.
// Ref is the LMS's own identifier, as text (Moodle ids and the built-in
// LMS's ids both fit).
type User struct {
	Ref         string
	Username    string
	Email       string
	FirstName   string
	LastName    string
	City        string
	Country     string
	Institution string
	Department  string
	Phone       string
	Locale      string
	Suspended   bool
}

// Accounts is the part of a connector that the shop's pages use: signing
// in, finding accounts, keeping a customer's profile (and suspending the
// account the shop created when they have their data erased), naming the
// courses a customer's seats allow, linking to the support course.
type Accounts interface {
	CheckCredentials(ctx context.Context, login, password string) (*User, error)
	UsersByEmail(ctx context.Context, email string) ([]*User, error)
	UserByRef(ctx context.Context, ref string) (*User, error)
	UpdateProfile(ctx context.Context, ref string, p Profile) error
	SetSuspended(ctx context.Context, ref string, suspended bool) error
	Course(ctx context.Context, c CourseRef) (*Course, error)
	Enrolled(ctx context.Context, userRef string, courseID int64) (bool, error)
	CourseURL(courseID int64) string
}

// Connector is the shop's port to the learning platform. References (Ref)
// are the platform's own identifiers as text. Every method fails with an
// *Error that says whether trying again later may help.
type Connector interface {
	// SiteInfo describes the platform: name, version, what the shop's
	// account may do. Used by `courseshop lms check`.
	SiteInfo(ctx context.Context) (*Site, error)

	// CheckCredentials returns the user whose login (username or
	// e-mail) and password match, or ErrBadCredentials.
	CheckCredentials(ctx context.Context, login, password string) (*User, error)
	// UsersByEmail returns the accounts with that e-mail (an LMS may hold
	// several).
	UsersByEmail(ctx context.Context, email string) ([]*User, error)
	// UserByRef returns one account, or ErrNoUser.
	UserByRef(ctx context.Context, ref string) (*User, error)
	// CreateUser creates an account without a usable password (its owner
	// sets one through a link) and returns it. A taken username gives
	// ErrUsernameTaken.
	CreateUser(ctx context.Context, u NewUser) (*User, error)
	// UpdateProfile changes an account's names, city, country,
	// institution, department and phone (never its credentials).
	UpdateProfile(ctx context.Context, ref string, p Profile) error
	// SetSuspended suspends or reactivates an account.
	SetSuspended(ctx context.Context, ref string, suspended bool) error
	// PasswordSetURL returns where the owner of a new account sets their
	// password (a reset link of the platform).
	PasswordSetURL(ctx context.Context, ref string) (string, error)

	// Course finds a course by ID, IDNumber or Shortname (the first one
	// set), or ErrNoCourse.
	Course(ctx context.Context, c CourseRef) (*Course, error)
	// CreateCourse creates a course, copying the content of template when
	// it is set.
	CreateCourse(ctx context.Context, c NewCourse, template *CourseRef) (*Course, error)
	// Category finds a course category by ID or IDNumber (the first one
	// set), or ErrNoCategory.
	Category(ctx context.Context, c CategoryRef) (*Category, error)
	// CreateCategory creates a course category under parent (0: top).
	CreateCategory(ctx context.Context, name, idnumber string, parent int64) (*Category, error)
	// CourseURL returns the address of a course's page for its learners
	// (an absolute URL when the connector knows the platform's address).
	CourseURL(courseID int64) string

	// Enrol enrols (or re-enrols, updating the period) a user in a
	// course with a role, through the course's manual enrolment.
	Enrol(ctx context.Context, e Enrolment) error
	// Unenrol removes a user's manual enrolment from a course.
	Unenrol(ctx context.Context, userRef string, courseID int64) error
	// AssignRole gives a user a role in a context; UnassignRole takes it
	// back. Both are idempotent.
	AssignRole(ctx context.Context, a RoleAssignment) error
	UnassignRole(ctx context.Context, a RoleAssignment) error
	// AddToGroup adds a user to the course group with that name, creating
	// the group when it does not exist.
	AddToGroup(ctx context.Context, courseID int64, group, userRef string) error
	// Enrolled reports whether a user may enter a course now: enrolled
	// there, the enrolment started, not ended and not suspended (what
	// Moodle calls an active enrolment). A user or a course the platform
	// does not know is not enrolled.
	Enrolled(ctx context.Context, userRef string, courseID int64) (bool, error)
}

// RoleChecker is implemented by connectors that may not know a role: it
// says whether role (a shortname) can be given, in the course courseID
// when it is not 0, without changing anything. A connector that does not
// implement it takes any role.
type RoleChecker interface {
	CheckRole(ctx context.Context, role string, courseID int64) error
}

// Site describes a learning platform.
type Site struct {
	Name    string
	URL     string
	Version string // e.g. "5.1.2" (Moodle release), "builtin"
	// Functions are the web-service functions the shop's account may call
	// (Moodle); nil for the built-in connector, which can do everything.
	Functions []string
	UserRef   string // the account the shop calls as
}

// NewUser is an account to create.
type NewUser struct {
	Username string
	Email    string
	Profile
	Locale string
}

// Profile is what the shop may change of an account, on its verified
// owner's word (rule C6).
type Profile struct {
	FirstName   string
	LastName    string
	City        string
	Country     string
	Institution string
	Department  string
	Phone       string
}

// Over returns p with the fields it leaves empty taken from u: pushing a
// customer's details to the LMS never blanks what the LMS knows and the
// shop does not ask (the department, a city left out at checkout).
func (p Profile) Over(u *User) Profile {
	p.FirstName, p.LastName = cmp.Or(p.FirstName, u.FirstName), cmp.Or(p.LastName, u.LastName)
	p.City, p.Country = cmp.Or(p.City, u.City), cmp.Or(p.Country, u.Country)
	p.Institution, p.Department = cmp.Or(p.Institution, u.Institution), cmp.Or(p.Department, u.Department)
	p.Phone = cmp.Or(p.Phone, u.Phone)
	return p
}

// CourseRef designates a course by one of its identifiers.
type CourseRef struct {
	ID        int64
	IDNumber  string
	Shortname string
}

// CategoryRef designates a course category by one of its identifiers.
type CategoryRef struct {
	ID       int64
	IDNumber string
}

// NewCourse is a course to create.
type NewCourse struct {
	Fullname   string
	Shortname  string
	IDNumber   string
	CategoryID int64
	Visible    bool
}

// Enrolment is a user's enrolment in a course for a period.
type Enrolment struct {
	UserRef   string
	CourseID  int64
	Role      string    // role shortname: "student", "editingteacher"…
	Start     time.Time // zero: now
	End       time.Time // zero: no end
	Suspended bool
}

// ContextLevel is where a role applies.
type ContextLevel string

// Context levels of role assignments.
const (
	ContextSystem   ContextLevel = "system"
	ContextCategory ContextLevel = "category"
	ContextCourse   ContextLevel = "course"
)

// RoleAssignment is a role given to a user in a context.
type RoleAssignment struct {
	UserRef    string
	Role       string // role shortname
	Level      ContextLevel
	InstanceID int64 // category or course ID; 0 for the system
}

// Error is a connector failure: the operation, the platform's own error
// code and message, and whether trying again later may succeed (network
// errors, timeouts, 5xx, the platform down) or not (a bad parameter, a
// missing course, a missing permission).
type Error struct {
	Op        string
	Code      string // e.g. Moodle's "invalidparameter", "webservicesnotenabled"
	Message   string
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	s := "lms: " + e.Op
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is worth trying again later.
func Retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// Errors of connectors, to test with errors.Is.
var (
	ErrBadCredentials = errors.New("lms: wrong login or password")
	ErrNoUser         = errors.New("lms: no such user")
	ErrNoCourse       = errors.New("lms: no such course")
	ErrNoCategory     = errors.New("lms: no such category")
	ErrUsernameTaken  = errors.New("lms: username taken")
)
