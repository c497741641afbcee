// Package user defines the people who sign in to the shop itself: the
// back-office staff (administrators and sales team). Customers sign in
// through the LMS connector and are modelled by the customer package.
package user

import "time"

// Role is what a user may do in the back office.
type Role string

// Roles.
const (
	RoleAdmin Role = "admin"
	RoleSales Role = "sales"
)

// User is a shop-held account.
type User struct {
	ID           int64
	Email        string // as typed; matched on its normalised form
	DisplayName  string
	PasswordHash string // argon2id PHC string
	Role         Role
	Locale       string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  time.Time // zero when never signed in
}

// Staff reports whether u may use the back office: an enabled
// administrator or member of the sales team.
func (u *User) Staff() bool {
	return !u.Disabled && (u.Role == RoleAdmin || u.Role == RoleSales)
}
