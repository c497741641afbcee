package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// The outbox suite runs on SQLite and, when COURSESHOP_TEST_POSTGRES is
// set, on PostgreSQL.
func TestOutbox(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, newStoreFunc){
			"Enqueue":         testOutboxEnqueue,
			"Claim":           testOutboxClaim,
			"Settle":          testOutboxSettle,
			"ConcurrentClaim": testOutboxConcurrentClaim,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newStore)
			})
		}
	})
}

func outboxShop(t *testing.T, s *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	c := &catalog.Catalog{Code: "main", Name: "Main"}
	must(t, s.CreateCatalog(ctx, c))
	sh := &catalog.Shop{Code: "demo", Name: "Demo", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
	must(t, s.CreateShop(ctx, sh))
	return sh.ID
}

func newMail(to, refID string) *store.OutboxMail {
	return &store.OutboxMail{Kind: "order_placed", Locale: "fr", To: to, Subject: "Commande " + refID,
		Text: "Merci", HTML: "<p>Merci</p>", RefType: "order", RefID: refID}
}

func testOutboxEnqueue(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	shop := outboxShop(t, s)

	// The mail exists exactly when the transaction that causes it commits.
	m := newMail("Ann@Example.com", "1")
	m.ShopID = shop
	must(t, s.InTx(ctx, func(tx *store.Store) error { return tx.EnqueueMail(ctx, m) }))
	if m.ID == 0 || m.Status != store.MailPending || !m.NextAttemptAt.Equal(fixed) || !m.CreatedAt.Equal(fixed) {
		t.Errorf("enqueued mail = %+v", m)
	}
	rolledBack := newMail("bob@example.com", "2")
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.EnqueueMail(ctx, rolledBack); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if got, err := s.Mails(ctx, store.MailFilter{To: "bob@example.com"}); err != nil || len(got) != 0 {
		t.Errorf("mail of a rolled-back transaction: %d mails, %v", len(got), err)
	}

	captured := newMail("ann@example.com", "3")
	captured.Status = store.MailCaptured
	must(t, s.EnqueueMail(ctx, captured))
	noShop := newMail("carl@example.com", "1")
	noShop.Kind = "signin_link"
	noShop.RefType = "customer"
	must(t, s.EnqueueMail(ctx, noShop))

	got, err := s.MailByID(ctx, m.ID)
	must(t, err)
	if got.ShopID != shop || got.To != "Ann@Example.com" || got.Subject != "Commande 1" || got.Text != "Merci" ||
		got.HTML != "<p>Merci</p>" || got.Locale != "fr" || got.Kind != "order_placed" || got.Status != store.MailPending ||
		got.Attempts != 0 || !got.ClaimedUntil.IsZero() || !got.SentAt.IsZero() || !got.UpdatedAt.Equal(fixed) {
		t.Errorf("MailByID = %+v", got)
	}
	if _, err := s.MailByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MailByID(unknown) = %v, want ErrNotFound", err)
	}

	ids := func(ms []*store.OutboxMail) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.MailFilter
		want []int64
	}{
		{"all, newest first", store.MailFilter{}, []int64{noShop.ID, captured.ID, m.ID}},
		{"by address, any case", store.MailFilter{To: " ANN@example.com"}, []int64{captured.ID, m.ID}},
		{"by reference", store.MailFilter{RefType: "order", RefID: "1"}, []int64{m.ID}},
		{"by reference type", store.MailFilter{RefType: "order"}, []int64{captured.ID, m.ID}},
		{"by shop", store.MailFilter{ShopID: shop}, []int64{m.ID}},
		{"by status", store.MailFilter{Status: store.MailCaptured}, []int64{captured.ID}},
		{"limit", store.MailFilter{Limit: 1}, []int64{noShop.ID}},
		{"none", store.MailFilter{RefID: "404"}, nil},
	} {
		got, err := s.Mails(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("%s: ids %v, want %v", tc.name, ids(got), tc.want)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(*store.OutboxMail)
	}{
		{"sent status", func(m *store.OutboxMail) { m.Status = store.MailSent }},
		{"unknown shop", func(m *store.OutboxMail) { m.ShopID = 9999 }},
		{"no recipient", func(m *store.OutboxMail) { m.To = "" }},
		{"no kind", func(m *store.OutboxMail) { m.Kind = "" }},
	} {
		bad := newMail("dan@example.com", "9")
		tc.edit(bad)
		if err := s.EnqueueMail(ctx, bad); !errors.Is(err, store.ErrConstraint) {
			t.Errorf("%s: err = %v, want ErrConstraint", tc.name, err)
		}
	}
}

func testOutboxClaim(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	early := newMail("a@example.com", "1")
	early.NextAttemptAt = fixed.Add(-time.Minute)
	now := newMail("b@example.com", "2")
	later := newMail("c@example.com", "3")
	later.NextAttemptAt = fixed.Add(time.Hour)
	captured := newMail("d@example.com", "4")
	captured.Status = store.MailCaptured
	for _, m := range []*store.OutboxMail{later, now, early, captured} {
		must(t, s.EnqueueMail(ctx, m))
	}

	if _, err := s.ClaimMails(ctx, fixed, 0, time.Minute); err == nil {
		t.Error("ClaimMails with limit 0 must fail")
	}
	got, err := s.ClaimMails(ctx, fixed, 1, 5*time.Minute)
	must(t, err)
	if len(got) != 1 || got[0].ID != early.ID {
		t.Fatalf("first claim = %v, want the mail due first", got)
	}
	c := got[0]
	if c.Status != store.MailSending || c.Attempts != 1 || !c.ClaimedUntil.Equal(fixed.Add(5*time.Minute)) || c.Subject != early.Subject {
		t.Errorf("claimed mail = %+v", c)
	}
	got, err = s.ClaimMails(ctx, fixed, 10, 5*time.Minute)
	must(t, err)
	if len(got) != 1 || got[0].ID != now.ID {
		t.Fatalf("second claim = %v, want only the other due mail", got)
	}
	if got, err := s.ClaimMails(ctx, fixed.Add(4*time.Minute), 10, 5*time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claim while leases run: %v, %v", got, err)
	}
	// The sender of both died: their leases run out and another takes them
	// (and the mail that became due meanwhile), counting a second attempt.
	got, err = s.ClaimMails(ctx, fixed.Add(2*time.Hour), 10, 5*time.Minute)
	must(t, err)
	if len(got) != 3 || got[0].ID != early.ID || got[1].ID != now.ID || got[2].ID != later.ID {
		t.Fatalf("claim after leases ran out = %v", got)
	}
	if got[0].Attempts != 2 || got[2].Attempts != 1 {
		t.Errorf("attempts = %d, %d; want 2, 1", got[0].Attempts, got[2].Attempts)
	}

	// A sender that stops gives back what it did not try.
	must(t, s.ReleaseMail(ctx, later.ID))
	r, err := s.MailByID(ctx, later.ID)
	must(t, err)
	if r.Status != store.MailPending || r.Attempts != 0 || !r.ClaimedUntil.IsZero() {
		t.Errorf("released mail = %+v", r)
	}
	if err := s.ReleaseMail(ctx, later.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("release of a pending mail = %v, want ErrNotFound", err)
	}
	if got, err := s.Mails(ctx, store.MailFilter{Status: store.MailCaptured}); err != nil || len(got) != 1 || got[0].Attempts != 0 {
		t.Errorf("captured mails must never be claimed: %v, %v", got, err)
	}
}

func testOutboxSettle(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	var ms []*store.OutboxMail
	for i := range 3 {
		m := newMail(fmt.Sprintf("p%d@example.com", i), fmt.Sprint(i))
		must(t, s.EnqueueMail(ctx, m))
		ms = append(ms, m)
	}
	if err := s.MarkMailSent(ctx, ms[0].ID, fixed); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkMailSent of an unclaimed mail = %v, want ErrNotFound", err)
	}
	claimed, err := s.ClaimMails(ctx, fixed, 10, time.Minute)
	must(t, err)
	if len(claimed) != 3 {
		t.Fatalf("claimed %d mails", len(claimed))
	}
	sentAt := fixed.Add(3 * time.Second)
	retryAt := fixed.Add(5 * time.Minute)
	must(t, s.MarkMailSent(ctx, ms[0].ID, sentAt))
	must(t, s.MarkMailFailed(ctx, ms[1].ID, "451 try later", retryAt, false))
	must(t, s.MarkMailFailed(ctx, ms[2].ID, "550 no such user", fixed, true))
	if err := s.MarkMailSent(ctx, ms[0].ID, sentAt); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second MarkMailSent = %v, want ErrNotFound", err)
	}

	get := func(id int64) *store.OutboxMail {
		m, err := s.MailByID(ctx, id)
		must(t, err)
		return m
	}
	if m := get(ms[0].ID); m.Status != store.MailSent || !m.SentAt.Equal(sentAt) || !m.ClaimedUntil.IsZero() || m.Attempts != 1 {
		t.Errorf("sent mail = %+v", m)
	}
	if m := get(ms[1].ID); m.Status != store.MailPending || !m.NextAttemptAt.Equal(retryAt) || m.LastError != "451 try later" ||
		!m.ClaimedUntil.IsZero() || m.Attempts != 1 {
		t.Errorf("retried mail = %+v", m)
	}
	if m := get(ms[2].ID); m.Status != store.MailFailed || m.LastError != "550 no such user" || !m.SentAt.IsZero() {
		t.Errorf("failed mail = %+v", m)
	}
	// Only the retried mail comes back, and only when its time comes.
	if got, err := s.ClaimMails(ctx, retryAt.Add(-time.Microsecond), 10, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("claim before retry time = %v, %v", got, err)
	}
	got, err := s.ClaimMails(ctx, retryAt, 10, time.Minute)
	must(t, err)
	if len(got) != 1 || got[0].ID != ms[1].ID || got[0].Attempts != 2 || got[0].LastError != "451 try later" {
		t.Errorf("claim at retry time = %+v", got)
	}
}

// testOutboxConcurrentClaim has several senders claim from one outbox at
// once: every mail must be claimed exactly once.
func testOutboxConcurrentClaim(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	const mails, senders = 60, 6
	for i := range mails {
		must(t, s.EnqueueMail(ctx, newMail(fmt.Sprintf("m%d@example.com", i), fmt.Sprint(i))))
	}
	now := time.Now().Add(time.Second)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		wg.Go(func() {
			for {
				got, err := s.ClaimMails(ctx, now, 4, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != mails {
		t.Errorf("%d mails claimed, want %d", len(seen), mails)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %d claimed %d times", id, n)
		}
	}
}
