// Package lms describes the learning platform as the shop sees it. The
// connectors (built-in "local", and Moodle) arrive with the production
// engine; this package holds the records they share.
package lms

import (
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

// Connector is the shop's port to the learning platform. This first
// version covers what checkout needs; the production engine adds
// enrolments, roles, groups and course creation.
type Connector interface {
	// CheckCredentials returns the user whose login (username or
	// e-mail) and password match, or ErrBadCredentials.
	CheckCredentials(ctx context.Context, login, password string) (*User, error)
	// UsersByEmail returns the accounts with that e-mail (an LMS may hold
	// several).
	UsersByEmail(ctx context.Context, email string) ([]*User, error)
	// UserByRef returns one account, or ErrNoUser.
	UserByRef(ctx context.Context, ref string) (*User, error)
}

// Errors of connectors.
var (
	ErrBadCredentials = errors.New("lms: wrong login or password")
	ErrNoUser         = errors.New("lms: no such user")
)
