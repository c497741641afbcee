package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"courseshop/internal/mailaddr"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/user"
)

// EnsureAdmin creates the first back-office administrator when the shop has
// none, and reports whether it did. It does nothing once an administrator
// exists, so the start-up variables can stay set without effect.
func (s *Service) EnsureAdmin(ctx context.Context, email, plain string, p password.Params) (bool, error) {
	addr, err := mailaddr.Parse(email)
	if err != nil {
		return false, fmt.Errorf("administrator e-mail %q: %w", email, err)
	}
	if len(plain) < 8 {
		return false, fmt.Errorf("administrator password: at least 8 characters are required")
	}
	if n, err := s.Store.CountUsers(ctx, user.RoleAdmin); err != nil || n > 0 {
		return false, err
	}
	// Hash outside the transaction: argon2id takes tens of milliseconds and
	// the SQLite writer is shared by every request.
	hash, err := password.Hash(plain, p)
	if err != nil {
		return false, err
	}
	created := false
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		// Checked again inside: another node may have won the race.
		n, err := tx.CountUsers(ctx, user.RoleAdmin)
		if err != nil || n > 0 {
			return err
		}
		u := &user.User{Email: addr, DisplayName: "Administrator", PasswordHash: hash, Role: user.RoleAdmin, Locale: "en"}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"email": addr})
		created = true
		return tx.AddAudit(ctx, &store.AuditEvent{Actor: "system", Action: "user.create_admin", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10), Data: data})
	})
	if err != nil {
		return false, fmt.Errorf("create administrator: %w", err)
	}
	return created, nil
}
