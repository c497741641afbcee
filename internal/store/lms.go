package store

import (
	"context"
	"database/sql"
	"strconv"

	"courseshop/internal/lms"
	"courseshop/internal/mailaddr"
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

// LMSUser is a user of the built-in LMS with its password hash.
type LMSUser struct {
	ID int64
	lms.User
	PasswordHash  string
	CreatedByShop bool
}

const lmsUserColumns = `id, username, email, first_name, last_name, city, country, institution, department, phone, locale,
	password_hash, suspended, created_by_shop`

func scanLMSUser(row interface{ Scan(...any) error }) (*LMSUser, error) {
	var u LMSUser
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.City, &u.Country, &u.Institution, &u.Department,
		&u.Phone, &u.Locale, &u.PasswordHash, &u.Suspended, &u.CreatedByShop)
	u.Ref = strconv.FormatInt(u.ID, 10)
	return &u, err
}

// CreateLMSUser inserts a user of the built-in LMS and sets its ID and Ref.
func (s *Store) CreateLMSUser(ctx context.Context, u *LMSUser) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_users (username, email, email_norm, first_name, last_name, city, country, institution, department, phone,
		   locale, password_hash, suspended, created_by_shop, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		u.Username, u.Email, mailaddr.Normalize(u.Email), u.FirstName, u.LastName, u.City, u.Country, u.Institution, u.Department,
		u.Phone, u.Locale, u.PasswordHash, u.Suspended, u.CreatedByShop, now).Scan(&u.ID)
	if err != nil {
		return mapErr(err, "create LMS user "+u.Username)
	}
	u.Ref = strconv.FormatInt(u.ID, 10)
	return nil
}

// LMSUsersByEmail returns the built-in LMS's users with that e-mail.
func (s *Store) LMSUsersByEmail(ctx context.Context, email string) ([]*LMSUser, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+lmsUserColumns+` FROM lms_users WHERE email_norm = $1 ORDER BY id`, mailaddr.Normalize(email))
	if err != nil {
		return nil, mapErr(err, "LMS users by e-mail")
	}
	defer rows.Close()
	var out []*LMSUser
	for rows.Next() {
		u, err := scanLMSUser(rows)
		if err != nil {
			return nil, mapErr(err, "LMS users by e-mail")
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err(), "LMS users by e-mail")
}

// LMSUserByUsername returns a built-in LMS user by username.
func (s *Store) LMSUserByUsername(ctx context.Context, username string) (*LMSUser, error) {
	u, err := scanLMSUser(s.r().QueryRowContext(ctx, `SELECT `+lmsUserColumns+` FROM lms_users WHERE username = $1`, username))
	return u, mapErr(err, "LMS user "+username)
}

// LMSUserByID returns a built-in LMS user.
func (s *Store) LMSUserByID(ctx context.Context, id int64) (*LMSUser, error) {
	u, err := scanLMSUser(s.r().QueryRowContext(ctx, `SELECT `+lmsUserColumns+` FROM lms_users WHERE id = $1`, id))
	return u, mapErr(err, "LMS user")
}
