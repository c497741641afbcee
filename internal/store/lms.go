package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/mailaddr"
)

// The lms_* tables are the built-in LMS connector's own data: users,
// courses, categories, enrolments, role assignments, groups and password
// links kept in the shop database.

// IsTransient reports whether err is a database failure that may succeed
// when tried again: a transaction that lost a race (PostgreSQL
// serialization failure or deadlock, SQLite busy). The built-in LMS
// connector marks such failures retryable, as a remote LMS's would be.
func IsTransient(err error) bool { return errors.Is(err, errRetry) }

const lmsCourseColumns = `id, category_id, shortname, fullname, idnumber, summary, visible, created_at, updated_at`

func scanLMSCourse(row rowScanner) (*lms.Course, error) {
	var c lms.Course
	var category sql.NullInt64
	var idnumber sql.NullString
	err := row.Scan(&c.ID, &category, &c.Shortname, &c.Fullname, &idnumber, &c.Summary, &c.Visible, &c.CreatedAt, &c.UpdatedAt)
	c.CategoryID, c.IDNumber = category.Int64, idnumber.String
	return &c, err
}

// CreateLMSCourse inserts a course of the built-in LMS and sets its ID.
func (s *Store) CreateLMSCourse(ctx context.Context, c *lms.Course) error {
	return s.CreateLMSCourseFromTemplate(ctx, c, 0)
}

// CreateLMSCourseFromTemplate inserts a course of the built-in LMS made
// from the course templateID (0: none) and sets its ID. The built-in LMS
// has no course content to copy: the caller copies what it wants (summary,
// category) into c, and the course keeps the template's ID as a record of
// where it came from (see LMSCourseTemplate).
func (s *Store) CreateLMSCourseFromTemplate(ctx context.Context, c *lms.Course, templateID int64) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_courses (category_id, shortname, fullname, idnumber, summary, visible, template_id, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		nullID(c.CategoryID), c.Shortname, c.Fullname, nullText(c.IDNumber), c.Summary, c.Visible, nullID(templateID), now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create LMS course "+c.Shortname)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// LMSCourses returns the built-in LMS's courses by short name.
func (s *Store) LMSCourses(ctx context.Context) ([]*lms.Course, error) {
	return queryAll(ctx, s.r(), "list LMS courses", scanLMSCourse,
		`SELECT `+lmsCourseColumns+` FROM lms_courses ORDER BY shortname`)
}

// LMSCourseByID returns a course of the built-in LMS.
func (s *Store) LMSCourseByID(ctx context.Context, id int64) (*lms.Course, error) {
	c, err := scanLMSCourse(s.r().QueryRowContext(ctx, `SELECT `+lmsCourseColumns+` FROM lms_courses WHERE id = $1`, id))
	return c, mapErr(err, "LMS course "+strconv.FormatInt(id, 10))
}

// LMSCourseByIDNumber returns the built-in LMS's course with that ID
// number. An empty ID number finds nothing: courses without one have none.
func (s *Store) LMSCourseByIDNumber(ctx context.Context, idnumber string) (*lms.Course, error) {
	c, err := scanLMSCourse(s.r().QueryRowContext(ctx, `SELECT `+lmsCourseColumns+` FROM lms_courses WHERE idnumber = $1`, idnumber))
	return c, mapErr(err, "LMS course idnumber "+idnumber)
}

// LMSCourseByShortname returns the built-in LMS's course with that short
// name.
func (s *Store) LMSCourseByShortname(ctx context.Context, shortname string) (*lms.Course, error) {
	c, err := scanLMSCourse(s.r().QueryRowContext(ctx, `SELECT `+lmsCourseColumns+` FROM lms_courses WHERE shortname = $1`, shortname))
	return c, mapErr(err, "LMS course "+shortname)
}

// LMSCourseTemplate returns the ID of the course a course was made from, or
// 0 when it was made from none.
func (s *Store) LMSCourseTemplate(ctx context.Context, courseID int64) (int64, error) {
	var tmpl sql.NullInt64
	err := s.r().QueryRowContext(ctx, `SELECT template_id FROM lms_courses WHERE id = $1`, courseID).Scan(&tmpl)
	return tmpl.Int64, mapErr(err, "LMS course template")
}

// CreateLMSCategory inserts a course category of the built-in LMS and sets
// its ID.
func (s *Store) CreateLMSCategory(ctx context.Context, c *lms.Category) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_categories (parent_id, name, idnumber, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		nullID(c.ParentID), c.Name, nullText(c.IDNumber), now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create LMS category "+c.Name)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// LMSCategoryByID returns a course category of the built-in LMS.
func (s *Store) LMSCategoryByID(ctx context.Context, id int64) (*lms.Category, error) {
	return s.lmsCategory(ctx, "id", id, "LMS category "+strconv.FormatInt(id, 10))
}

// LMSCategoryByIDNumber returns the built-in LMS's category with that ID
// number. An empty ID number finds nothing: categories without one have
// none.
func (s *Store) LMSCategoryByIDNumber(ctx context.Context, idnumber string) (*lms.Category, error) {
	return s.lmsCategory(ctx, "idnumber", idnumber, "LMS category idnumber "+idnumber)
}

// lmsCategory reads the category whose column (a constant of the caller)
// has value.
func (s *Store) lmsCategory(ctx context.Context, column string, value any, what string) (*lms.Category, error) {
	var c lms.Category
	var parent sql.NullInt64
	var idnumber sql.NullString
	err := s.r().QueryRowContext(ctx,
		`SELECT id, parent_id, name, idnumber, created_at, updated_at FROM lms_categories WHERE `+column+` = $1`, value).
		Scan(&c.ID, &parent, &c.Name, &idnumber, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, mapErr(err, what)
	}
	c.ParentID, c.IDNumber = parent.Int64, idnumber.String
	return &c, nil
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

func scanLMSUser(row rowScanner) (*LMSUser, error) {
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
	return queryAll(ctx, s.r(), "LMS users by e-mail", scanLMSUser,
		`SELECT `+lmsUserColumns+` FROM lms_users WHERE email_norm = $1 ORDER BY id`, mailaddr.Normalize(email))
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

// UpdateLMSUserProfile changes a built-in LMS user's profile: names, city,
// country, institution, department and phone; never the username, e-mail
// or password.
func (s *Store) UpdateLMSUserProfile(ctx context.Context, id int64, p lms.Profile) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE lms_users SET first_name = $1, last_name = $2, city = $3, country = $4, institution = $5, department = $6,
		   phone = $7, updated_at = $8
		 WHERE id = $9`,
		p.FirstName, p.LastName, p.City, p.Country, p.Institution, p.Department, p.Phone, s.now(), id)
	return changedOne(res, err, "update LMS user profile", ErrNotFound)
}

// SetLMSUserSuspended suspends or reactivates a built-in LMS user.
func (s *Store) SetLMSUserSuspended(ctx context.Context, id int64, suspended bool) error {
	res, err := s.w().ExecContext(ctx, `UPDATE lms_users SET suspended = $1, updated_at = $2 WHERE id = $3`, suspended, s.now(), id)
	return changedOne(res, err, "suspend LMS user", ErrNotFound)
}

// SetLMSUserPassword replaces a built-in LMS user's password hash.
func (s *Store) SetLMSUserPassword(ctx context.Context, id int64, hash string) error {
	res, err := s.w().ExecContext(ctx, `UPDATE lms_users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, s.now(), id)
	return changedOne(res, err, "set LMS user password", ErrNotFound)
}

// CreateLMSPasswordToken stores a password-setting link for a built-in LMS
// user under the hash of its token, valid for ttl from now, and returns
// when it expires.
func (s *Store) CreateLMSPasswordToken(ctx context.Context, tokenHash string, userID int64, ttl time.Duration) (time.Time, error) {
	now := s.now()
	expires := now.Add(ttl)
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO lms_password_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, userID, expires, now)
	return expires, mapErr(err, "create LMS password token")
}

// LMSPasswordToken returns the user of an unused, unexpired
// password-setting link without consuming it (to show the page), or
// ErrNotFound.
func (s *Store) LMSPasswordToken(ctx context.Context, tokenHash string) (userID int64, err error) {
	err = s.r().QueryRowContext(ctx,
		`SELECT user_id FROM lms_password_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
		tokenHash, s.now()).Scan(&userID)
	return userID, mapErr(err, "LMS password token")
}

// UseLMSPasswordToken consumes an unused, unexpired password-setting link
// and returns its user, or ErrNotFound. It also retires the user's other
// open links: once a password is set, older links must not change it.
func (s *Store) UseLMSPasswordToken(ctx context.Context, tokenHash string) (userID int64, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`UPDATE lms_password_tokens SET used_at = $1
			 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
			 RETURNING user_id`, now, tokenHash).Scan(&userID)
		if err != nil {
			return mapErr(err, "use LMS password token")
		}
		_, err = tx.w().ExecContext(ctx,
			`UPDATE lms_password_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL`, now, userID)
		return mapErr(err, "retire LMS password tokens")
	})
	return userID, err
}

// LMSEnrolment is a user's enrolment in a course of the built-in LMS.
// Start and End are zero when unset (from the start, without end); UserRef
// mirrors UserID.
type LMSEnrolment struct {
	ID     int64
	UserID int64
	lms.Enrolment
	CreatedAt time.Time
	UpdatedAt time.Time
}

const lmsEnrolmentColumns = `e.id, e.user_id, e.course_id, e.role, e.start_at, e.end_at, e.suspended, e.created_at, e.updated_at`

func scanLMSEnrolment(row rowScanner, extra ...any) (*LMSEnrolment, error) {
	var e LMSEnrolment
	var start, end sql.NullTime
	dest := append([]any{&e.ID, &e.UserID, &e.CourseID, &e.Role, &start, &end, &e.Suspended, &e.CreatedAt, &e.UpdatedAt}, extra...)
	err := row.Scan(dest...)
	e.UserRef = strconv.FormatInt(e.UserID, 10)
	e.Start, e.End = start.Time, end.Time
	return &e, err
}

// UpsertLMSEnrolment enrols a user in a course of the built-in LMS, or
// updates the role, period and suspension of the enrolment the user
// already has there; it sets e's ID and timestamps. A missing user or
// course gives ErrConstraint.
func (s *Store) UpsertLMSEnrolment(ctx context.Context, e *LMSEnrolment) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_enrolments (course_id, user_id, role, start_at, end_at, suspended, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		 ON CONFLICT (course_id, user_id) DO UPDATE SET role = excluded.role, start_at = excluded.start_at,
		   end_at = excluded.end_at, suspended = excluded.suspended, updated_at = excluded.updated_at
		 RETURNING id, created_at`,
		e.CourseID, e.UserID, e.Role, nullTime(e.Start), nullTime(e.End), e.Suspended, now).Scan(&e.ID, &e.CreatedAt)
	if err != nil {
		return mapErr(err, "enrol LMS user")
	}
	e.UserRef, e.UpdatedAt = strconv.FormatInt(e.UserID, 10), now
	return nil
}

// LMSEnrolment returns a user's enrolment in a course of the built-in LMS.
func (s *Store) LMSEnrolment(ctx context.Context, courseID, userID int64) (*LMSEnrolment, error) {
	e, err := scanLMSEnrolment(s.r().QueryRowContext(ctx,
		`SELECT `+lmsEnrolmentColumns+` FROM lms_enrolments e WHERE e.course_id = $1 AND e.user_id = $2`, courseID, userID))
	return e, mapErr(err, "LMS enrolment")
}

// LMSCourseEnrolment is an enrolment together with its course.
type LMSCourseEnrolment struct {
	LMSEnrolment
	Course lms.Course
}

// LMSEnrolments returns a user's enrolments in the built-in LMS with their
// courses, by course short name.
func (s *Store) LMSEnrolments(ctx context.Context, userID int64) ([]*LMSCourseEnrolment, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+lmsEnrolmentColumns+`, c.category_id, c.shortname, c.fullname, c.idnumber, c.summary, c.visible, c.created_at, c.updated_at
		 FROM lms_enrolments e JOIN lms_courses c ON c.id = e.course_id
		 WHERE e.user_id = $1 ORDER BY c.shortname`, userID)
	if err != nil {
		return nil, mapErr(err, "LMS enrolments")
	}
	defer rows.Close()
	var out []*LMSCourseEnrolment
	for rows.Next() {
		var ce LMSCourseEnrolment
		var category sql.NullInt64
		var idnumber sql.NullString
		c := &ce.Course
		e, err := scanLMSEnrolment(rows, &category, &c.Shortname, &c.Fullname, &idnumber, &c.Summary, &c.Visible, &c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return nil, mapErr(err, "LMS enrolments")
		}
		ce.LMSEnrolment = *e
		c.ID, c.CategoryID, c.IDNumber = e.CourseID, category.Int64, idnumber.String
		out = append(out, &ce)
	}
	return out, mapErr(rows.Err(), "LMS enrolments")
}

// DeleteLMSEnrolment unenrols a user from a course of the built-in LMS, as
// Moodle does when a user's last enrolment in a course goes: the user's
// roles in the course and memberships of its groups go too. It returns
// ErrNotFound, changing nothing, when the user is not enrolled.
func (s *Store) DeleteLMSEnrolment(ctx context.Context, courseID, userID int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.w().ExecContext(ctx, `DELETE FROM lms_enrolments WHERE course_id = $1 AND user_id = $2`, courseID, userID)
		if err := changedOne(res, err, "unenrol LMS user", ErrNotFound); err != nil {
			return err
		}
		if _, err := tx.w().ExecContext(ctx,
			`DELETE FROM lms_role_assignments WHERE user_id = $1 AND context_type = $2 AND context_id = $3`,
			userID, string(lms.ContextCourse), courseID); err != nil {
			return mapErr(err, "unenrol LMS user: roles")
		}
		_, err = tx.w().ExecContext(ctx,
			`DELETE FROM lms_group_members WHERE user_id = $1 AND group_id IN (SELECT id FROM lms_groups WHERE course_id = $2)`,
			userID, courseID)
		return mapErr(err, "unenrol LMS user: groups")
	})
}

// LMSRoleAssignment is a role given to a user of the built-in LMS in a
// context; UserRef mirrors UserID.
type LMSRoleAssignment struct {
	ID     int64
	UserID int64
	lms.RoleAssignment
	CreatedAt time.Time
}

// UpsertLMSRoleAssignment gives a user a role in a context unless the user
// has it already, and sets a's ID and creation time (those of the existing
// assignment, if any).
func (s *Store) UpsertLMSRoleAssignment(ctx context.Context, a *LMSRoleAssignment) error {
	now := s.now()
	// The no-op update makes RETURNING give the existing row on both
	// engines, where DO NOTHING would return no row.
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_role_assignments (user_id, role, context_type, context_id, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $5)
		 ON CONFLICT (user_id, role, context_type, context_id) DO UPDATE SET updated_at = lms_role_assignments.updated_at
		 RETURNING id, created_at`,
		a.UserID, a.Role, string(a.Level), a.InstanceID, now).Scan(&a.ID, &a.CreatedAt)
	if err != nil {
		return mapErr(err, "assign LMS role "+a.Role)
	}
	a.UserRef = strconv.FormatInt(a.UserID, 10)
	return nil
}

// DeleteLMSRoleAssignment takes a role in a context back from a user, or
// returns ErrNotFound when the user does not have it.
func (s *Store) DeleteLMSRoleAssignment(ctx context.Context, userID int64, a lms.RoleAssignment) error {
	res, err := s.w().ExecContext(ctx,
		`DELETE FROM lms_role_assignments WHERE user_id = $1 AND role = $2 AND context_type = $3 AND context_id = $4`,
		userID, a.Role, string(a.Level), a.InstanceID)
	return changedOne(res, err, "unassign LMS role "+a.Role, ErrNotFound)
}

// LMSRoleAssignments returns the roles a user of the built-in LMS holds,
// by context and role.
func (s *Store) LMSRoleAssignments(ctx context.Context, userID int64) ([]*LMSRoleAssignment, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, user_id, role, context_type, context_id, created_at FROM lms_role_assignments
		 WHERE user_id = $1 ORDER BY context_type, context_id, role`, userID)
	if err != nil {
		return nil, mapErr(err, "LMS role assignments")
	}
	defer rows.Close()
	var out []*LMSRoleAssignment
	for rows.Next() {
		var a LMSRoleAssignment
		var level string
		if err := rows.Scan(&a.ID, &a.UserID, &a.Role, &level, &a.InstanceID, &a.CreatedAt); err != nil {
			return nil, mapErr(err, "LMS role assignments")
		}
		a.Level, a.UserRef = lms.ContextLevel(level), strconv.FormatInt(a.UserID, 10)
		out = append(out, &a)
	}
	return out, mapErr(rows.Err(), "LMS role assignments")
}

// LMSGroup is a group of a course of the built-in LMS.
type LMSGroup struct {
	ID        int64
	CourseID  int64
	Name      string
	IDNumber  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateLMSGroup inserts a course group and sets its ID; a course cannot
// have two groups of one name (ErrConflict).
func (s *Store) CreateLMSGroup(ctx context.Context, g *LMSGroup) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO lms_groups (course_id, name, idnumber, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		g.CourseID, g.Name, g.IDNumber, now).Scan(&g.ID)
	if err != nil {
		return mapErr(err, "create LMS group "+g.Name)
	}
	g.CreatedAt, g.UpdatedAt = now, now
	return nil
}

// LMSGroupByName returns a course's group by name.
func (s *Store) LMSGroupByName(ctx context.Context, courseID int64, name string) (*LMSGroup, error) {
	var g LMSGroup
	err := s.r().QueryRowContext(ctx,
		`SELECT id, course_id, name, idnumber, created_at, updated_at FROM lms_groups WHERE course_id = $1 AND name = $2`,
		courseID, name).Scan(&g.ID, &g.CourseID, &g.Name, &g.IDNumber, &g.CreatedAt, &g.UpdatedAt)
	if err != nil {
		return nil, mapErr(err, "LMS group "+name)
	}
	return &g, nil
}

// AddLMSGroupMember makes a user a member of a group; a member already is
// one, and nothing changes.
func (s *Store) AddLMSGroupMember(ctx context.Context, groupID, userID int64) error {
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO lms_group_members (group_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		groupID, userID, s.now())
	return mapErr(err, "add LMS group member")
}

// LMSGroupMembers returns the IDs of a group's members, in order.
func (s *Store) LMSGroupMembers(ctx context.Context, groupID int64) ([]int64, error) {
	return s.ids(ctx, "LMS group members", `SELECT user_id FROM lms_group_members WHERE group_id = $1 ORDER BY user_id`, groupID)
}
