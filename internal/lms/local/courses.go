package local

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// Course finds a course by ID, IDNumber or Shortname, whichever is set
// first, or fails with ErrNoCourse.
func (c *Connector) Course(ctx context.Context, ref lms.CourseRef) (*lms.Course, error) {
	const op = "course"
	var co *lms.Course
	var err error
	var what string
	switch {
	case ref.ID != 0:
		co, err = c.store.LMSCourseByID(ctx, ref.ID)
		what = strconv.FormatInt(ref.ID, 10)
	case ref.IDNumber != "":
		co, err = c.store.LMSCourseByIDNumber(ctx, ref.IDNumber)
		what = "idnumber " + strconv.Quote(ref.IDNumber)
	case ref.Shortname != "":
		co, err = c.store.LMSCourseByShortname(ctx, ref.Shortname)
		what = strconv.Quote(ref.Shortname)
	default:
		return nil, noCourse(op, "(no identifier given)")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, noCourse(op, what)
	}
	if err != nil {
		return nil, fail(op, err)
	}
	return co, nil
}

// CourseURL returns the course's page in the shop's web pages (CoursePath),
// under the base URL when one is set.
func (c *Connector) CourseURL(courseID int64) string {
	return strings.TrimSuffix(c.baseURL, "/") + CoursePath + strconv.FormatInt(courseID, 10)
}

// CreateCourse creates a course. With a template, the new course takes the
// template's summary, and its category unless nc names one; the built-in
// LMS has no course content to copy, so the course records which template
// it came from instead (store.LMSCourseTemplate). A missing template fails
// with ErrNoCourse; a taken short name or ID number with ErrInvalid.
func (c *Connector) CreateCourse(ctx context.Context, nc lms.NewCourse, template *lms.CourseRef) (*lms.Course, error) {
	const op = "create course"
	if strings.TrimSpace(nc.Shortname) == "" || strings.TrimSpace(nc.Fullname) == "" {
		return nil, invalid(op, "a course needs a short name and a full name")
	}
	co := &lms.Course{CategoryID: nc.CategoryID, Shortname: nc.Shortname, Fullname: nc.Fullname, IDNumber: nc.IDNumber, Visible: nc.Visible}
	var templateID int64
	if template != nil {
		tc, err := c.Course(ctx, *template)
		if err != nil {
			var le *lms.Error
			if errors.As(err, &le) {
				le.Op = op + ": template"
			}
			return nil, err
		}
		templateID, co.Summary = tc.ID, tc.Summary
		if co.CategoryID == 0 {
			co.CategoryID = tc.CategoryID
		}
	}
	if co.CategoryID != 0 {
		if err := c.category(ctx, op, co.CategoryID); err != nil {
			return nil, err
		}
	}
	if err := c.store.CreateLMSCourseFromTemplate(ctx, co, templateID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			if _, err := c.store.LMSCourseByShortname(ctx, co.Shortname); err == nil {
				return nil, invalid(op, "short name %q is taken", co.Shortname)
			}
			return nil, invalid(op, "ID number %q is taken", co.IDNumber)
		}
		return nil, fail(op, err)
	}
	return co, nil
}

// Category finds a course category by ID or IDNumber, whichever is set
// first, or fails with ErrNoCategory.
func (c *Connector) Category(ctx context.Context, ref lms.CategoryRef) (*lms.Category, error) {
	const op = "category"
	var cat *lms.Category
	var err error
	var what string
	switch {
	case ref.ID != 0:
		cat, err = c.store.LMSCategoryByID(ctx, ref.ID)
		what = strconv.FormatInt(ref.ID, 10)
	case ref.IDNumber != "":
		cat, err = c.store.LMSCategoryByIDNumber(ctx, ref.IDNumber)
		what = "idnumber " + strconv.Quote(ref.IDNumber)
	default:
		return nil, noCategory(op, "(no identifier given)")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, noCategory(op, what)
	}
	if err != nil {
		return nil, fail(op, err)
	}
	return cat, nil
}

// CreateCategory creates a course category under parent (0: at the top).
// A missing parent or a taken ID number fails with ErrInvalid.
func (c *Connector) CreateCategory(ctx context.Context, name, idnumber string, parent int64) (*lms.Category, error) {
	const op = "create category"
	if strings.TrimSpace(name) == "" {
		return nil, invalid(op, "a category needs a name")
	}
	if parent != 0 {
		if err := c.category(ctx, op, parent); err != nil {
			return nil, err
		}
	}
	cat := &lms.Category{ParentID: parent, Name: name, IDNumber: idnumber}
	if err := c.store.CreateLMSCategory(ctx, cat); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, invalid(op, "ID number %q is taken", idnumber)
		}
		return nil, fail(op, err)
	}
	return cat, nil
}
