// Package lms describes the learning platform as the shop sees it. The
// connectors (built-in "local", and Moodle) arrive with the production
// engine; this package holds the records they share.
package lms

import "time"

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
