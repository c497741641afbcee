// Package local is the built-in LMS connector: user accounts (with argon2id
// passwords), courses and enrolments kept in the shop database, so that the
// demo and small installations run without an external LMS.
package local

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/store"
)

// Connector implements the LMS port over the shop database.
type Connector struct {
	store *store.Store
}

// New returns the built-in connector.
func New(st *store.Store) *Connector { return &Connector{store: st} }

var _ lms.Accounts = (*Connector)(nil)

// CheckCredentials accepts a username or an e-mail as login. A suspended
// account, or one without a password, never signs in.
func (c *Connector) CheckCredentials(ctx context.Context, login, plain string) (*lms.User, error) {
	login = strings.TrimSpace(login)
	var candidates []*store.LMSUser
	if strings.Contains(login, "@") {
		us, err := c.store.LMSUsersByEmail(ctx, login)
		if err != nil {
			return nil, err
		}
		candidates = us
	} else {
		u, err := c.store.LMSUserByUsername(ctx, login)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if u != nil && err == nil {
			candidates = append(candidates, u)
		}
	}
	for _, u := range candidates {
		ok, err := password.Verify(plain, u.PasswordHash)
		if err != nil {
			return nil, err
		}
		if ok && !u.Suspended {
			return &u.User, nil
		}
	}
	if len(candidates) == 0 {
		// Spend the time a hash would take, so that response times do
		// not tell which logins exist.
		_, _ = password.Verify(plain, dummyHash)
	}
	return nil, lms.ErrBadCredentials
}

// dummyHash is a valid argon2id hash of nothing anyone types.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0yLJpQJwYVfbjMf3XoV0nU2HUVXhpY2yWQ8R7xCM0lE"

// UsersByEmail returns the accounts with that e-mail.
func (c *Connector) UsersByEmail(ctx context.Context, email string) ([]*lms.User, error) {
	us, err := c.store.LMSUsersByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	out := make([]*lms.User, len(us))
	for i, u := range us {
		out[i] = &u.User
	}
	return out, nil
}

// UserByRef returns one account.
func (c *Connector) UserByRef(ctx context.Context, ref string) (*lms.User, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return nil, lms.ErrNoUser
	}
	u, err := c.store.LMSUserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, lms.ErrNoUser
	}
	if err != nil {
		return nil, err
	}
	return &u.User, nil
}
