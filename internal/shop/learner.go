package shop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/lms/local"
)

// ErrNotBuiltin is returned for what only the built-in LMS does (an
// external LMS has its own pages for passwords and courses).
var ErrNotBuiltin = errors.New("the shop's LMS is not the built-in one")

// builtin returns the built-in connector, when the shops that do not use
// Moodle run on it.
func (s *Service) builtin() (*local.Connector, error) {
	c, ok := s.LMS.Local().(*local.Connector)
	if !ok {
		return nil, ErrNotBuiltin
	}
	return c, nil
}

// PasswordLinkUser returns the account a password-setting link is for,
// without using the link up.
func (s *Service) PasswordLinkUser(ctx context.Context, token string) (*lms.User, error) {
	c, err := s.builtin()
	if err != nil {
		return nil, err
	}
	return c.PasswordTokenUser(ctx, token)
}

// SetPassword sets an account's password through its link.
func (s *Service) SetPassword(ctx context.Context, token, password string) error {
	c, err := s.builtin()
	if err != nil {
		return err
	}
	return c.SetPassword(ctx, token, password)
}

// BuiltinCourse returns a visible course of the built-in LMS, for its
// course page (the page lms/local's CourseURL names). A hidden or unknown
// course is ErrNotFound, as is any course when the shop's LMS is another.
func (s *Service) BuiltinCourse(ctx context.Context, id int64) (*lms.Course, error) {
	c, err := s.builtin()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	co, err := c.Course(ctx, lms.CourseRef{ID: id})
	if errors.Is(err, lms.ErrNoCourse) || err == nil && !co.Visible {
		return nil, fmt.Errorf("course %d: %w", id, ErrNotFound)
	}
	return co, err
}

// Course is a course the signed-in learner is enrolled in.
type Course struct {
	Name      string
	Role      string
	Start     time.Time
	End       time.Time
	Active    bool
	Suspended bool
}

// MyCourses lists the courses of a signed-in buyer in the built-in LMS.
func (s *Service) MyCourses(ctx context.Context, b Buyer) ([]Course, error) {
	c, err := s.builtin()
	if err != nil {
		return nil, err
	}
	es, err := c.Enrolments(ctx, b.UserRef)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]Course, len(es))
	for i, e := range es {
		out[i] = Course{Name: e.Course.Fullname, Role: e.Role, Start: e.Start, End: e.End, Active: e.Active(now), Suspended: e.Suspended}
	}
	return out, nil
}
