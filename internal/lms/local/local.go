// Package local is the built-in LMS connector: user accounts (with argon2id
// passwords), courses, categories, enrolments, role assignments and groups
// kept in the shop database, so that the demo and small installations run
// without an external LMS. It implements the whole lms.Connector, plus what
// the shop's own pages need of a built-in LMS: the password page
// (SetPassword) and the learner's list of courses (Enrolments).
package local

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/store"
)

// Connector implements the LMS port over the shop database.
type Connector struct {
	store   *store.Store
	params  password.Params
	linkTTL time.Duration
	baseURL string
}

// Option adjusts a Connector.
type Option func(*Connector)

// WithPasswordParams sets the argon2id parameters of the passwords set
// through SetPassword (default password.Default(); tests use
// password.Cheap()).
func WithPasswordParams(p password.Params) Option {
	return func(c *Connector) { c.params = p }
}

// WithPasswordLinkTTL sets how long a link from PasswordSetURL works
// (default DefaultPasswordLinkTTL).
func WithPasswordLinkTTL(d time.Duration) Option {
	return func(c *Connector) { c.linkTTL = d }
}

// WithBaseURL makes PasswordSetURL return absolute links under the shop's
// public URL (e.g. "https://shop.example.com"), fit for e-mails; without
// it, links are paths.
func WithBaseURL(u string) Option {
	return func(c *Connector) { c.baseURL = u }
}

// DefaultPasswordLinkTTL is how long a password-setting link works: long
// enough for a buyer who reads their mail once a week.
const DefaultPasswordLinkTTL = 7 * 24 * time.Hour

// PasswordPath is where the web layer serves the password page; a link is
// PasswordPath followed by its token.
const PasswordPath = "/lms/password/"

// CoursePath is where the web layer serves a course's page, the built-in
// LMS's page for its learners; a course's page is CoursePath followed by
// its ID.
const CoursePath = "/lms/courses/"

// MinPasswordLength is the shortest password SetPassword accepts, as for
// back-office accounts.
const MinPasswordLength = 8

// New returns the built-in connector.
func New(st *store.Store, opts ...Option) *Connector {
	c := &Connector{store: st, params: password.Default(), linkTTL: DefaultPasswordLinkTTL}
	for _, o := range opts {
		o(c)
	}
	return c
}

var (
	_ lms.Connector = (*Connector)(nil)
	_ lms.Accounts  = (*Connector)(nil)
)

// Errors of the built-in connector, besides lms's. They reach callers
// inside an *lms.Error, so test them with errors.Is.
var (
	// ErrInvalid is a request the built-in LMS refuses as it stands: a
	// malformed username or e-mail, a missing category, a period that
	// ends before it starts, a group for a user not enrolled…
	ErrInvalid = errors.New("lms/local: invalid request")
	// ErrBadToken is a password link that does not exist, was used or
	// has expired.
	ErrBadToken = errors.New("lms/local: unknown, used or expired password link")
	// ErrWeakPassword is a password shorter than MinPasswordLength.
	ErrWeakPassword = errors.New("lms/local: password too short")
)

// SiteInfo describes the built-in LMS. It can do everything, so Functions
// is nil; the shop calls it as nobody in particular.
func (c *Connector) SiteInfo(ctx context.Context) (*lms.Site, error) {
	return &lms.Site{Name: "courseshop built-in LMS", URL: c.baseURL, Version: "builtin"}, nil
}

// fail wraps err, a failure of op, in the *lms.Error callers classify:
// retryable when the database lost a race (busy, serialization failure,
// deadlock) and the same call may succeed later; permanent otherwise. An
// *lms.Error passes through unchanged.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var le *lms.Error
	if errors.As(err, &le) {
		return err
	}
	return &lms.Error{Op: op, Retryable: store.IsTransient(err), Err: err}
}

// invalid is a permanent failure of op for bad input.
func invalid(op, format string, args ...any) error {
	return &lms.Error{Op: op, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

// noUser is the failure of op for a user reference that names nobody.
func noUser(op, ref string) error {
	return &lms.Error{Op: op, Message: "user " + strconv.Quote(ref), Err: lms.ErrNoUser}
}

// noCourse is the failure of op for a course that does not exist.
func noCourse(op, what string) error {
	return &lms.Error{Op: op, Message: "course " + what, Err: lms.ErrNoCourse}
}

// noCategory is the failure of op for a category that does not exist.
func noCategory(op, what string) error {
	return &lms.Error{Op: op, Message: "category " + what, Err: lms.ErrNoCategory}
}

// user returns the account ref names, or a permanent ErrNoUser.
func (c *Connector) user(ctx context.Context, op, ref string) (*store.LMSUser, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return nil, noUser(op, ref)
	}
	u, err := c.store.LMSUserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noUser(op, ref)
	}
	if err != nil {
		return nil, fail(op, err)
	}
	return u, nil
}

// course returns the course with that ID, or a permanent ErrNoCourse.
func (c *Connector) course(ctx context.Context, op string, id int64) (*lms.Course, error) {
	co, err := c.store.LMSCourseByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noCourse(op, strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fail(op, err)
	}
	return co, nil
}

// category checks that the category with that ID exists.
func (c *Connector) category(ctx context.Context, op string, id int64) error {
	_, err := c.store.LMSCategoryByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return invalid(op, "no category %d", id)
	}
	return fail(op, err)
}
