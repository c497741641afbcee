package store

import (
	"context"
	"database/sql"

	"courseshop/internal/mailaddr"
	"courseshop/internal/user"
)

const userColumns = `id, email, display_name, password_hash, role, locale, disabled, created_at, updated_at, last_login_at`

func scanUser(row rowScanner) (*user.User, error) {
	var u user.User
	var last sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.PasswordHash, &u.Role, &u.Locale, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &last)
	u.LastLoginAt = last.Time
	return &u, err
}

// CreateUser inserts u and sets its ID and timestamps. An e-mail already
// used (compared normalised) gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *user.User) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO users (email, email_norm, display_name, password_hash, role, locale, disabled, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		u.Email, mailaddr.Normalize(u.Email), u.DisplayName, u.PasswordHash, u.Role, u.Locale, u.Disabled, now).Scan(&u.ID)
	if err != nil {
		return mapErr(err, "create user "+u.Email)
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return nil
}

// UserByEmail returns the user with that e-mail (compared normalised).
func (s *Store) UserByEmail(ctx context.Context, email string) (*user.User, error) {
	u, err := scanUser(s.r().QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email_norm = $1`, mailaddr.Normalize(email)))
	if err != nil {
		return nil, mapErr(err, "user by e-mail")
	}
	return u, nil
}

// UserByID returns the user with that id.
func (s *Store) UserByID(ctx context.Context, id int64) (*user.User, error) {
	u, err := scanUser(s.r().QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, "user by id")
	}
	return u, nil
}

// RecordUserSignin sets the user's last sign-in time to now.
func (s *Store) RecordUserSignin(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, s.now(), id)
	return changedOne(res, err, "record user sign-in", ErrNotFound)
}

// CountUsers returns how many enabled users have role.
func (s *Store) CountUsers(ctx context.Context, role user.Role) (int, error) {
	var n int
	err := s.r().QueryRowContext(ctx,
		`SELECT count(*) FROM users WHERE role = $1 AND disabled = FALSE`, role).Scan(&n)
	return n, mapErr(err, "count users")
}
