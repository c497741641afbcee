package shop

import (
	"context"
	"errors"
	"log/slog"

	"courseshop/internal/catalog"
	"courseshop/internal/lms"
)

// SupportCourse is the shop's customer support course in the LMS, as the
// support area links to it (rule C7).
type SupportCourse struct {
	Name string
	URL  string
}

// supportCourse returns the support course the shop names, when the
// customer's account may enter it now; nil otherwise. The link is an
// extra: an LMS that cannot answer hides it (logged) rather than the
// whole support area.
func (s *Service) supportCourse(ctx context.Context, sh *catalog.Shop, userRef string) *SupportCourse {
	if sh.SupportCourseRef == "" || userRef == "" {
		return nil
	}
	conn, err := s.lmsOf(sh)
	var co *lms.Course
	if err == nil {
		co, err = conn.Course(ctx, lms.CourseRef{IDNumber: sh.SupportCourseRef})
	}
	if errors.Is(err, lms.ErrNoCourse) {
		return nil
	}
	var in bool
	if err == nil {
		in, err = conn.Enrolled(ctx, userRef, co.ID)
	}
	if err != nil {
		s.Log.Warn("support course link left out", slog.String("shop", sh.Code), slog.String("user", userRef), slog.Any("error", err))
		return nil
	}
	if !in {
		return nil
	}
	return &SupportCourse{Name: co.Fullname, URL: conn.CourseURL(co.ID)}
}
