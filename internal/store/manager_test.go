package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestManagers (rule C9): who may act for a customer — its owner and the
// managers who accepted an invitation — and the invitations' life: once,
// before expiry, unless revoked; a removed manager is out at once.
func TestManagers(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		now := fixed
		s := newStore(t, testkit.WithClock(func() time.Time { return now }))
		c := &catalog.Catalog{Code: "c", Name: "C"}
		must(t, s.CreateCatalog(ctx, c))
		sh := &catalog.Shop{Code: "s", Name: "S", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, sh))
		other := &catalog.Shop{Code: "o", Name: "O", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, other))
		acme := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@acme.example", FirstName: "Ann", LastName: "A", Organisation: "Acme", Country: "FR"}}
		must(t, s.SaveOwnCustomer(ctx, acme, "10"))
		bob := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "bob@example.com", FirstName: "Bob", LastName: "B", Country: "FR"}}
		must(t, s.SaveOwnCustomer(ctx, bob, "20"))

		managed := func(user string) []string {
			t.Helper()
			ms, err := s.CustomersManagedBy(ctx, sh.ID, user)
			must(t, err)
			var out []string
			for _, m := range ms {
				out = append(out, m.Customer.Email+"/"+string(m.Role))
			}
			return out
		}
		if got := managed("10"); len(got) != 1 || got[0] != "ann@acme.example/owner" {
			t.Errorf("owner manages %v", got)
		}

		invite := func(hash, email string, lifetime time.Duration) *store.Invitation {
			t.Helper()
			inv := &store.Invitation{CustomerID: acme.ID, Email: email, InvitedBy: "10"}
			must(t, s.CreateInvitation(ctx, hash, inv, lifetime))
			if inv.ID == 0 || !inv.CreatedAt.Equal(now) || !inv.ExpiresAt.Equal(now.Add(lifetime)) {
				t.Fatalf("created invitation: %+v", inv)
			}
			return inv
		}
		invite("h1", "Bob@Example.com", 7*24*time.Hour)
		for _, tc := range []struct {
			email string
			want  int
		}{{"", 1}, {"bob@example.com", 1}, {"zoe@example.com", 0}} {
			if n, err := s.CountInvitations(ctx, acme.ID, tc.email, time.Hour); err != nil || n != tc.want {
				t.Errorf("CountInvitations(%q) = %d, %v; want %d", tc.email, n, err, tc.want)
			}
		}
		if inv, err := s.PendingInvitation(ctx, sh.ID, "h1"); err != nil || inv.Email != "Bob@Example.com" || inv.InvitedBy != "10" {
			t.Errorf("PendingInvitation = %+v, %v", inv, err)
		}
		if _, err := s.PendingInvitation(ctx, other.ID, "h1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitation read through another shop: %v", err)
		}
		if _, err := s.AcceptInvitation(ctx, other.ID, "h1", "20"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitation accepted through another shop: %v", err)
		}

		inv, err := s.AcceptInvitation(ctx, sh.ID, "h1", "20")
		if err != nil || inv.CustomerID != acme.ID || inv.AcceptedBy != "20" || !inv.AcceptedAt.Equal(now) {
			t.Fatalf("AcceptInvitation = %+v, %v", inv, err)
		}
		if got := managed("20"); len(got) != 2 || got[0] != "bob@example.com/owner" || got[1] != "ann@acme.example/manager" {
			t.Errorf("Bob manages %v", got)
		}
		if m, err := s.CustomerManagedBy(ctx, sh.ID, acme.ID, "20"); err != nil || m.Role != store.RoleManager || m.Customer.Organisation != "Acme" {
			t.Errorf("CustomerManagedBy(manager) = %+v, %v", m, err)
		}
		if m, err := s.CustomerManagedBy(ctx, sh.ID, acme.ID, "10"); err != nil || m.Role != store.RoleOwner {
			t.Errorf("CustomerManagedBy(owner) = %+v, %v", m, err)
		}
		for _, tc := range []struct {
			shop, customer int64
			user           string
		}{{sh.ID, acme.ID, "30"}, {other.ID, acme.ID, "20"}, {sh.ID, bob.ID, "10"}, {sh.ID, 9999, "20"}} {
			if _, err := s.CustomerManagedBy(ctx, tc.shop, tc.customer, tc.user); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("CustomerManagedBy(%+v): %v", tc, err)
			}
		}
		ms, err := s.CustomerManagers(ctx, acme.ID)
		must(t, err)
		if len(ms) != 2 || ms[0].LMSUserRef != "10" || ms[0].Role != store.RoleOwner || ms[1].LMSUserRef != "20" || ms[1].Role != store.RoleManager ||
			ms[1].InvitedBy != "10" || !ms[1].AddedAt.Equal(now) {
			t.Errorf("CustomerManagers = %+v", ms)
		}
		if _, err := s.AcceptInvitation(ctx, sh.ID, "h1", "30"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitation used twice: %v", err)
		}

		// The owner accepting an invitation stays the owner, not a
		// manager besides.
		invite("h2", "ann@acme.example", time.Hour)
		if _, err := s.AcceptInvitation(ctx, sh.ID, "h2", "10"); err != nil {
			t.Fatal(err)
		}
		if ms, _ := s.CustomerManagers(ctx, acme.ID); len(ms) != 2 {
			t.Errorf("after the owner accepted: %+v", ms)
		}

		// Expired and revoked invitations cannot be accepted.
		invite("h3", "zoe@example.com", time.Hour)
		revoked := invite("h4", "max@example.com", 7*24*time.Hour)
		if ps, err := s.PendingInvitations(ctx, acme.ID); err != nil || len(ps) != 2 || ps[0].Email != "zoe@example.com" {
			t.Errorf("PendingInvitations = %+v, %v", ps, err)
		}
		if _, err := s.RevokeInvitation(ctx, bob.ID, revoked.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitation revoked through another customer: %v", err)
		}
		if inv, err := s.RevokeInvitation(ctx, acme.ID, revoked.ID); err != nil || !inv.RevokedAt.Equal(now) {
			t.Errorf("RevokeInvitation = %+v, %v", inv, err)
		}
		if _, err := s.RevokeInvitation(ctx, acme.ID, revoked.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked twice: %v", err)
		}
		now = now.Add(2 * time.Hour)
		for _, h := range []string{"h3", "h4"} {
			if _, err := s.PendingInvitation(ctx, sh.ID, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("PendingInvitation(%s): %v", h, err)
			}
			if _, err := s.AcceptInvitation(ctx, sh.ID, h, "30"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AcceptInvitation(%s): %v", h, err)
			}
		}
		if ps, err := s.PendingInvitations(ctx, acme.ID); err != nil || len(ps) != 0 {
			t.Errorf("PendingInvitations after expiry = %+v, %v", ps, err)
		}

		// A removed manager is out at once; the owner cannot be removed.
		must(t, s.RemoveManager(ctx, acme.ID, "20"))
		if _, err := s.CustomerManagedBy(ctx, sh.ID, acme.ID, "20"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed manager still manages: %v", err)
		}
		if got := managed("20"); len(got) != 1 {
			t.Errorf("removed manager manages %v", got)
		}
		for _, user := range []string{"20", "10"} {
			if err := s.RemoveManager(ctx, acme.ID, user); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RemoveManager(%s): %v", user, err)
			}
		}
	})
}
