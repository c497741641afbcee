package shop

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/user"
)

// ErrBadStaffCredentials is returned when a back-office sign-in fails, with
// no hint of whether the e-mail, the password or the account was wrong.
var ErrBadStaffCredentials = errors.New("wrong e-mail or password")

// StaffSignIn checks the credentials of a back-office user (administrator
// or sales team), records the sign-in, and returns the user. Unknown
// e-mails, disabled accounts and wrong passwords fail alike and take as
// long.
func (s *Service) StaffSignIn(ctx context.Context, email, plain string) (*user.User, error) {
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		password.Decoy(plain)
		return nil, ErrBadStaffCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := password.Verify(plain, u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("staff sign-in: %w", err)
	}
	if !ok || !u.Staff() {
		return nil, ErrBadStaffCredentials
	}
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RecordUserSignin(ctx, u.ID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, &store.AuditEvent{Actor: "user:" + strconv.FormatInt(u.ID, 10), Action: "user.signin", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// StaffUser returns the back-office user signed in with id, or ErrNotFound
// when the account no longer exists or was disabled: a session outlives
// neither.
func (s *Service) StaffUser(ctx context.Context, id int64) (*user.User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !u.Staff() {
		return nil, fmt.Errorf("user %d cannot use the back office: %w", id, ErrNotFound)
	}
	return u, nil
}
