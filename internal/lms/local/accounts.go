package local

import (
	"context"
	"errors"
	"strings"

	"courseshop/internal/bearer"
	"courseshop/internal/lms"
	"courseshop/internal/mailaddr"
	"courseshop/internal/password"
	"courseshop/internal/store"
)

// CheckCredentials accepts a username or an e-mail as login. A suspended
// account, or one without a password, never signs in.
func (c *Connector) CheckCredentials(ctx context.Context, login, plain string) (*lms.User, error) {
	const op = "check credentials"
	login = strings.TrimSpace(login)
	var candidates []*store.LMSUser
	if strings.Contains(login, "@") {
		us, err := c.store.LMSUsersByEmail(ctx, login)
		if err != nil {
			return nil, fail(op, err)
		}
		candidates = us
	}
	// Usernames may contain "@" too (as Moodle's may), so a login that
	// looks like an e-mail is also tried as a username.
	u, err := c.store.LMSUserByUsername(ctx, login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fail(op, err)
	}
	if err == nil && !containsUser(candidates, u.ID) {
		candidates = append(candidates, u)
	}
	for _, u := range candidates {
		ok, err := password.Verify(plain, u.PasswordHash)
		if err != nil {
			return nil, fail(op, err)
		}
		if ok && !u.Suspended {
			return &u.User, nil
		}
	}
	if len(candidates) == 0 {
		password.Decoy(plain)
	}
	return nil, &lms.Error{Op: op, Err: lms.ErrBadCredentials}
}

func containsUser(us []*store.LMSUser, id int64) bool {
	for _, u := range us {
		if u.ID == id {
			return true
		}
	}
	return false
}

// UsersByEmail returns the accounts with that e-mail, compared
// case-insensitively.
func (c *Connector) UsersByEmail(ctx context.Context, email string) ([]*lms.User, error) {
	us, err := c.store.LMSUsersByEmail(ctx, email)
	if err != nil {
		return nil, fail("users by e-mail", err)
	}
	out := make([]*lms.User, len(us))
	for i, u := range us {
		out[i] = &u.User
	}
	return out, nil
}

// UserByRef returns one account, or ErrNoUser.
func (c *Connector) UserByRef(ctx context.Context, ref string) (*lms.User, error) {
	u, err := c.user(ctx, "user by ref", ref)
	if err != nil {
		return nil, err
	}
	return &u.User, nil
}

// CreateUser creates an account without a password: its owner cannot sign
// in until they set one through PasswordSetURL's link. Usernames follow
// Moodle's rule (lowercase letters, digits and _ - . @), so that a shop
// moving from the built-in LMS to Moodle meets no surprise.
func (c *Connector) CreateUser(ctx context.Context, nu lms.NewUser) (*lms.User, error) {
	const op = "create user"
	if !validUsername(nu.Username) {
		return nil, invalid(op, "username %q: want lowercase letters, digits, _ - . @", nu.Username)
	}
	email, err := mailaddr.Parse(nu.Email)
	if err != nil {
		return nil, invalid(op, "e-mail %q", nu.Email)
	}
	locale := nu.Locale
	if locale == "" {
		locale = "en"
	}
	u := &store.LMSUser{
		User: lms.User{Username: nu.Username, Email: email, FirstName: nu.FirstName, LastName: nu.LastName, City: nu.City,
			Country: nu.Country, Institution: nu.Institution, Department: nu.Department, Phone: nu.Phone, Locale: locale},
		CreatedByShop: true,
	}
	if err := c.store.CreateLMSUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &lms.Error{Op: op, Message: "username " + nu.Username, Err: lms.ErrUsernameTaken}
		}
		return nil, fail(op, err)
	}
	return &u.User, nil
}

func validUsername(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.@", r)) {
			return false
		}
	}
	return true
}

// UpdateProfile changes an account's names, city, country, institution,
// department and phone; its username, e-mail and password stay.
func (c *Connector) UpdateProfile(ctx context.Context, ref string, p lms.Profile) error {
	const op = "update profile"
	u, err := c.user(ctx, op, ref)
	if err != nil {
		return err
	}
	err = c.store.UpdateLMSUserProfile(ctx, u.ID, p)
	if errors.Is(err, store.ErrNotFound) {
		return noUser(op, ref)
	}
	return fail(op, err)
}

// SetSuspended suspends or reactivates an account. A suspended account
// keeps its enrolments but cannot sign in.
func (c *Connector) SetSuspended(ctx context.Context, ref string, suspended bool) error {
	const op = "set suspended"
	u, err := c.user(ctx, op, ref)
	if err != nil {
		return err
	}
	err = c.store.SetLMSUserSuspended(ctx, u.ID, suspended)
	if errors.Is(err, store.ErrNotFound) {
		return noUser(op, ref)
	}
	return fail(op, err)
}

// PasswordSetURL returns a single-use link, valid for the connector's link
// lifetime, where the account's owner sets a password: PasswordPath
// followed by a random token (under the base URL when one is set). Only the
// token's hash is stored. Earlier links stay valid until one of them is
// used.
func (c *Connector) PasswordSetURL(ctx context.Context, ref string) (string, error) {
	const op = "password set URL"
	u, err := c.user(ctx, op, ref)
	if err != nil {
		return "", err
	}
	tok := bearer.New()
	if _, err := c.store.CreateLMSPasswordToken(ctx, bearer.Hash(tok), u.ID, c.linkTTL); err != nil {
		return "", fail(op, err)
	}
	return strings.TrimSuffix(c.baseURL, "/") + PasswordPath + tok, nil
}

// PasswordTokenUser returns the account a password link (its token, the
// last part of the path) is for, without using the link, so that the
// password page can say whose password it sets. It fails with ErrBadToken
// for a link that is unknown, used or expired.
func (c *Connector) PasswordTokenUser(ctx context.Context, token string) (*lms.User, error) {
	const op = "password link"
	id, err := c.store.LMSPasswordToken(ctx, bearer.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, &lms.Error{Op: op, Err: ErrBadToken}
	}
	if err != nil {
		return nil, fail(op, err)
	}
	u, err := c.store.LMSUserByID(ctx, id)
	if err != nil {
		return nil, fail(op, err)
	}
	return &u.User, nil
}

// SetPassword sets the password of the account a link is for and uses up
// the link (and the account's other open links). It fails with
// ErrWeakPassword for a password shorter than MinPasswordLength, leaving
// the link usable, and with ErrBadToken for a link that is unknown, used
// or expired.
func (c *Connector) SetPassword(ctx context.Context, token, newPassword string) error {
	const op = "set password"
	if len([]rune(newPassword)) < MinPasswordLength {
		return &lms.Error{Op: op, Err: ErrWeakPassword}
	}
	// Hashing takes tens of milliseconds: done before the transaction,
	// so that SQLite's single writer is not held meanwhile.
	hash, err := password.Hash(newPassword, c.params)
	if err != nil {
		return fail(op, err)
	}
	err = c.store.InTx(ctx, func(tx *store.Store) error {
		id, err := tx.UseLMSPasswordToken(ctx, bearer.Hash(token))
		if err != nil {
			return err
		}
		return tx.SetLMSUserPassword(ctx, id, hash)
	})
	if errors.Is(err, store.ErrNotFound) {
		return &lms.Error{Op: op, Err: ErrBadToken}
	}
	return fail(op, err)
}
