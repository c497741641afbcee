package store

import (
	"context"
	"database/sql"

	"courseshop/internal/lms"
)

// The lms_* tables are the built-in LMS connector's own data: users,
// courses and enrolments kept in the shop database.

// CreateLMSCourse inserts a course of the built-in LMS and sets its ID.
func (s *Store) CreateLMSCourse(ctx context.Context, c *lms.Course) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_courses (category_id, shortname, fullname, idnumber, summary, visible, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		nullID(c.CategoryID), c.Shortname, c.Fullname, sql.NullString{String: c.IDNumber, Valid: c.IDNumber != ""},
		c.Summary, c.Visible, now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create LMS course "+c.Shortname)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// LMSCourses returns the built-in LMS's courses by short name.
func (s *Store) LMSCourses(ctx context.Context) ([]*lms.Course, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, category_id, shortname, fullname, idnumber, summary, visible, created_at, updated_at
		 FROM lms_courses ORDER BY shortname`)
	if err != nil {
		return nil, mapErr(err, "list LMS courses")
	}
	defer rows.Close()
	var out []*lms.Course
	for rows.Next() {
		var c lms.Course
		var category sql.NullInt64
		var idnumber sql.NullString
		if err := rows.Scan(&c.ID, &category, &c.Shortname, &c.Fullname, &idnumber, &c.Summary, &c.Visible, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, mapErr(err, "list LMS courses")
		}
		c.CategoryID, c.IDNumber = category.Int64, idnumber.String
		out = append(out, &c)
	}
	return out, mapErr(rows.Err(), "list LMS courses")
}

// CreateLMSCategory inserts a course category of the built-in LMS and sets
// its ID.
func (s *Store) CreateLMSCategory(ctx context.Context, c *lms.Category) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_categories (parent_id, name, idnumber, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		nullID(c.ParentID), c.Name, sql.NullString{String: c.IDNumber, Valid: c.IDNumber != ""}, now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create LMS category "+c.Name)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}
