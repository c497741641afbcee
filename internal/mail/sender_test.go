package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// The tests below run on the engine testkit.NewStore gives: SQLite, or
// PostgreSQL when COURSESHOP_TEST_POSTGRES is set.

// newFakeClock starts a second ahead of the real clock, so that mails
// queued (with the store's real clock) just before or after are due.
func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Now().Add(time.Second).UTC().Truncate(time.Microsecond))
}

func newSender(t *testing.T, st *store.Store, srv SMTP, opt SenderOptions) *Sender {
	t.Helper()
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Second
	}
	s, err := NewSender(st, srv, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// queue renders and queues one mail in a transaction of its own.
func queue(t *testing.T, st *store.Store, o *Outbox, kind, locale, to string, ref Ref) *store.OutboxMail {
	t.Helper()
	var m *store.OutboxMail
	err := st.InTx(context.Background(), func(tx *store.Store) error {
		var err error
		m, err = o.Queue(context.Background(), tx, kind, locale, to, samples()[kind], ref, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mailByID(t *testing.T, st *store.Store, id int64) *store.OutboxMail {
	t.Helper()
	m, err := st.MailByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor polls cond until it holds or the test has waited too long.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runSender runs s until the test ends, and checks that Run returns once
// its context is cancelled.
func runSender(t *testing.T, s *Sender) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Sender.Run did not return after its context ended")
		}
	})
}

func TestSenderDelivers(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{})
	o := NewOutbox(newTestRenderer(t), false)
	order := queue(t, st, o, KindOrderPlaced, "en", "Zoe.Buyer@Example.com", Ref{Type: "order", ID: "42"})
	pay := queue(t, st, o, KindPaymentInstructions, "fr-FR", "Zoé <zoe@example.com>", Ref{Type: "order", ID: "42"})
	if order.Status != store.MailPending || pay.Status != store.MailPending {
		t.Fatalf("queued statuses %q, %q; want pending", order.Status, pay.Status)
	}

	runSender(t, newSender(t, st, srv.smtpConfig(), SenderOptions{PollInterval: 10 * time.Millisecond}))
	waitFor(t, "both mails sent", func() bool {
		ms, err := st.Mails(ctx, store.MailFilter{RefType: "order", RefID: "42", Status: store.MailSent})
		return err == nil && len(ms) == 2
	})

	got := srv.messages()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	byTo := map[string]received{}
	for _, r := range got {
		if len(r.To) != 1 {
			t.Fatalf("recipients %v, want one", r.To)
		}
		if r.From != "no-reply@demo.example" {
			t.Errorf("envelope sender %q", r.From)
		}
		byTo[r.To[0]] = r
	}
	for _, tc := range []struct {
		mail    *store.OutboxMail
		rcpt    string
		subject string
		lang    string
		text    string
		html    string
	}{
		{order, "Zoe.Buyer@Example.com", "Your order 2026-000042 at Demo Formations", "en",
			"Hello " + buyer + ",", "Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Zoé &amp; Co,"},
		{pay, "zoe@example.com", "Règlement de votre commande 2026-000042 sur Demo Formations", "fr",
			"Merci d’adresser un chèque de €1,224.00", "au dos du chèque"},
	} {
		r, ok := byTo[tc.rcpt]
		if !ok {
			t.Errorf("nothing delivered to %s (got %v)", tc.rcpt, byTo)
			continue
		}
		p := parseMessage(t, r.Raw)
		if p.Subject != tc.subject {
			t.Errorf("subject %q, want %q", p.Subject, tc.subject)
		}
		if raw := p.Header.Get("Subject"); tc.lang == "fr" && !strings.HasPrefix(raw, "=?") {
			t.Errorf("accented subject not MIME-encoded: %q", raw)
		}
		if !strings.Contains(p.Header.Get("From"), "no-reply@demo.example") {
			t.Errorf("From = %q", p.Header.Get("From"))
		}
		if !strings.Contains(p.Header.Get("To"), tc.rcpt) {
			t.Errorf("To = %q", p.Header.Get("To"))
		}
		if want := fmt.Sprintf("<outbox.%d.", tc.mail.ID); !strings.HasPrefix(p.Header.Get("Message-Id"), want) ||
			!strings.HasSuffix(p.Header.Get("Message-Id"), "@demo.example>") {
			t.Errorf("Message-ID = %q, want %s…@demo.example>", p.Header.Get("Message-Id"), want)
		}
		if p.Header.Get("Auto-Submitted") != "auto-generated" || p.Header.Get("Content-Language") != tc.lang {
			t.Errorf("Auto-Submitted = %q, Content-Language = %q", p.Header.Get("Auto-Submitted"), p.Header.Get("Content-Language"))
		}
		if _, err := p.Header.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}
		if !strings.Contains(p.Text, tc.text) || p.Text != tc.mail.Text {
			t.Errorf("text part differs from the outbox or lacks %q:\n%s", tc.text, p.Text)
		}
		if !strings.Contains(p.HTML, tc.html) || p.HTML != tc.mail.HTML {
			t.Errorf("HTML part differs from the outbox or lacks %q:\n%s", tc.html, p.HTML)
		}
		m := mailByID(t, st, tc.mail.ID)
		if m.Status != store.MailSent || m.SentAt.IsZero() || m.Attempts != 1 || m.LastError != "" || !m.ClaimedUntil.IsZero() {
			t.Errorf("outbox row after delivery = %+v", m)
		}
	}
}

func TestSenderRetriesTemporaryFailure(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{data: func(n int) error {
		if n == 1 {
			return errTempFailure
		}
		return nil
	}})
	clock := newFakeClock()
	o := NewOutbox(newTestRenderer(t), false)
	m := queue(t, st, o, KindSigninLink, "en", "ann@example.com", Ref{Type: "customer", ID: "7"})
	s := newSender(t, st, srv.smtpConfig(), SenderOptions{Now: clock.Now, Backoff: []time.Duration{time.Minute, time.Hour}})

	res, err := s.SendDue(ctx)
	if err != nil || res != (Result{Retried: 1}) {
		t.Fatalf("first pass = %+v, %v; want one retry", res, err)
	}
	got := mailByID(t, st, m.ID)
	if got.Status != store.MailPending || got.Attempts != 1 || !strings.Contains(got.LastError, "451") ||
		!got.NextAttemptAt.Equal(clock.Now().Add(time.Minute)) || !got.ClaimedUntil.IsZero() {
		t.Fatalf("after a 451: %+v", got)
	}
	// Not due yet.
	clock.Add(59 * time.Second)
	if res, err := s.SendDue(ctx); err != nil || res != (Result{}) {
		t.Fatalf("pass before the back-off ends = %+v, %v", res, err)
	}
	clock.Add(time.Second)
	if res, err := s.SendDue(ctx); err != nil || res != (Result{Sent: 1}) {
		t.Fatalf("pass after the back-off = %+v, %v; want one sent", res, err)
	}
	got = mailByID(t, st, m.ID)
	if got.Status != store.MailSent || got.Attempts != 2 || got.LastError != "" || !got.SentAt.Equal(clock.Now()) {
		t.Errorf("after the retry: %+v", got)
	}
	if n := len(srv.messages()); n != 1 {
		t.Errorf("server accepted %d messages, want 1", n)
	}
}

func TestSenderPermanentFailure(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{rcpt: func(to string) error {
		if strings.HasPrefix(to, "nobody@") {
			return errNoMailbox
		}
		return nil
	}})
	clock := newFakeClock()
	o := NewOutbox(newTestRenderer(t), false)
	bad := queue(t, st, o, KindSigninLink, "en", "nobody@example.com", Ref{})
	good := queue(t, st, o, KindSigninLink, "en", "ann@example.com", Ref{})
	s := newSender(t, st, srv.smtpConfig(), SenderOptions{Now: clock.Now})

	// The refused recipient does not spoil the connection for the next mail.
	res, err := s.SendDue(ctx)
	if err != nil || res != (Result{Sent: 1, Failed: 1}) {
		t.Fatalf("pass = %+v, %v; want one sent, one failed", res, err)
	}
	got := mailByID(t, st, bad.ID)
	if got.Status != store.MailFailed || got.Attempts != 1 || !strings.Contains(got.LastError, "550") {
		t.Errorf("refused mail = %+v", got)
	}
	if got := mailByID(t, st, good.ID); got.Status != store.MailSent {
		t.Errorf("other mail = %+v", got)
	}
	clock.Add(48 * time.Hour)
	if res, err := s.SendDue(ctx); err != nil || res != (Result{}) {
		t.Errorf("a failed mail came back: %+v, %v", res, err)
	}
	if msgs := srv.messages(); len(msgs) != 1 || msgs[0].To[0] != "ann@example.com" {
		t.Errorf("server received %v", msgs)
	}
}

func TestSenderGivesUp(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{data: func(int) error { return errTempFailure }})
	clock := newFakeClock()
	m := queue(t, st, NewOutbox(newTestRenderer(t), false), KindSigninLink, "fr", "ann@example.com", Ref{})
	s := newSender(t, st, srv.smtpConfig(), SenderOptions{Now: clock.Now, MaxAttempts: 3, Backoff: []time.Duration{time.Minute, 5 * time.Minute}})
	var waits []time.Duration
	for range 3 {
		before := clock.Now()
		if _, err := s.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		got := mailByID(t, st, m.ID)
		waits = append(waits, got.NextAttemptAt.Sub(before))
		clock.Add(time.Hour)
	}
	got := mailByID(t, st, m.ID)
	if got.Status != store.MailFailed || got.Attempts != 3 || !strings.Contains(got.LastError, "gave up after 3 attempts") {
		t.Errorf("after 3 temporary failures: %+v", got)
	}
	if fmt.Sprint(waits[:2]) != "[1m0s 5m0s]" {
		t.Errorf("back-off waits %v, want [1m0s 5m0s]", waits[:2])
	}
}

func TestSenderServerDown(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	o := NewOutbox(newTestRenderer(t), false)
	a := queue(t, st, o, KindSigninLink, "en", "ann@example.com", Ref{})
	b := queue(t, st, o, KindSigninLink, "en", "bob@example.com", Ref{})
	s := newSender(t, st, SMTP{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "shop@demo.example"}, SenderOptions{})
	res, err := s.SendDue(ctx)
	if err != nil || res != (Result{Retried: 2}) {
		t.Fatalf("pass = %+v, %v; want both retried", res, err)
	}
	for _, id := range []int64{a.ID, b.ID} {
		if got := mailByID(t, st, id); got.Status != store.MailPending || !strings.Contains(got.LastError, "connect to SMTP server") {
			t.Errorf("mail %d = %+v", id, got)
		}
	}
}

func TestCapturedMode(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{})
	o := NewOutbox(newTestRenderer(t), true)
	if !o.Captured() {
		t.Fatal("Captured() = false")
	}
	m := queue(t, st, o, KindOrderPlaced, "fr", "ann@example.com", Ref{Type: "order", ID: "1"})
	if m.Status != store.MailCaptured {
		t.Fatalf("status %q, want captured", m.Status)
	}
	s := newSender(t, st, srv.smtpConfig(), SenderOptions{})
	if res, err := s.SendDue(ctx); err != nil || res != (Result{}) {
		t.Errorf("sender touched a captured mail: %+v, %v", res, err)
	}
	if n := len(srv.messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
	ms, err := st.Mails(ctx, store.MailFilter{RefType: "order", RefID: "1"})
	if err != nil || len(ms) != 1 || ms[0].Status != store.MailCaptured || !strings.Contains(ms[0].Subject, "Votre commande") {
		t.Errorf("captured mails = %+v, %v", ms, err)
	}
}

func TestQueue(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	o := NewOutbox(newTestRenderer(t), false)
	boom := errors.New("checkout failed")
	err := st.InTx(ctx, func(tx *store.Store) error {
		if _, err := o.Queue(ctx, tx, KindSigninLink, "en", "ann@example.com", samples()[KindSigninLink], Ref{Type: "customer", ID: "1"}, 0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	for _, tc := range []struct {
		name string
		to   string
		kind string
		data any
		want error
	}{
		{"empty address", "", KindSigninLink, samples()[KindSigninLink], ErrBadAddress},
		{"not an address", "ann at example.com", KindSigninLink, samples()[KindSigninLink], ErrBadAddress},
		{"two addresses", "a@example.com, b@example.com", KindSigninLink, samples()[KindSigninLink], ErrBadAddress},
		{"bad data", "ann@example.com", KindSigninLink, SigninLink{}, ErrBadData},
	} {
		if _, err := o.Queue(ctx, st, tc.kind, "en", tc.to, tc.data, Ref{Type: "customer", ID: "1"}, 0); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if ms, err := st.Mails(ctx, store.MailFilter{RefType: "customer", RefID: "1"}); err != nil || len(ms) != 0 {
		t.Errorf("outbox holds %d mails (%v), want none", len(ms), err)
	}
	m, err := o.Queue(ctx, st, KindSigninLink, "fr", " Sales <sales@demo.example> ", samples()[KindSigninLink], Ref{Type: "customer", ID: "2"}, 0)
	if err != nil || m.To != "Sales <sales@demo.example>" || m.Locale != "fr" || m.Kind != KindSigninLink {
		t.Errorf("queued %+v, %v", m, err)
	}
}

// TestTwoSenders runs two senders on one database at once: every mail must
// reach the server exactly once.
func TestTwoSenders(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	srv := startSMTP(t, testServerConfig{})
	o := NewOutbox(newTestRenderer(t), false)
	const n = 40
	ids := map[int64]bool{}
	for i := range n {
		m := queue(t, st, o, KindSigninLink, "en", fmt.Sprintf("user%d@example.com", i), Ref{Type: "test", ID: "two"})
		ids[m.ID] = true
	}
	for range 2 {
		runSender(t, newSender(t, st, srv.smtpConfig(), SenderOptions{PollInterval: 5 * time.Millisecond, BatchSize: 3}))
	}
	waitFor(t, "every mail sent", func() bool {
		ms, err := st.Mails(ctx, store.MailFilter{RefType: "test", Status: store.MailSent, Limit: 1000})
		return err == nil && len(ms) == n
	})
	seen := map[string]int{}
	for _, r := range srv.messages() {
		seen[parseMessage(t, r.Raw).Header.Get("Message-Id")]++
	}
	if len(seen) != n {
		t.Errorf("server received %d distinct mails, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s delivered %d times", id, c)
		}
	}
}

// TestSenderStartTLSAndAuth sends through a server that requires STARTTLS
// and a password, as a submission server does.
func TestSenderStartTLSAndAuth(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	cert, roots := selfSigned(t)
	srv := startSMTP(t, testServerConfig{tls: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "shop", password: "s3cret"})
	queue(t, st, NewOutbox(newTestRenderer(t), false), KindSigninLink, "en", "ann@example.com", Ref{})
	cfg := srv.smtpConfig()
	cfg.TLS, cfg.TLSConfig = TLSStartTLS, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}

	cfg.Password = "wrong"
	cfg.Username = "shop"
	if res, err := newSender(t, st, cfg, SenderOptions{}).SendDue(ctx); err != nil || res != (Result{Retried: 1}) {
		t.Errorf("bad password: %+v, %v; want a retry (the mail is not at fault)", res, err)
	}
	cfg.Password = "s3cret"
	clock := newFakeClock()
	clock.Add(time.Hour)
	if res, err := newSender(t, st, cfg, SenderOptions{Now: clock.Now}).SendDue(ctx); err != nil || res != (Result{Sent: 1}) {
		t.Errorf("good password: %+v, %v", res, err)
	}
	if n := len(srv.messages()); n != 1 {
		t.Errorf("server received %d messages", n)
	}
}

func TestNewSenderErrors(t *testing.T) {
	st := testkit.NewStore(t)
	ok := SMTP{Host: "smtp.example.com", From: "shop@example.com"}
	for _, tc := range []struct {
		name string
		srv  SMTP
		opt  SenderOptions
		want string
	}{
		{"no from", SMTP{Host: "smtp.example.com"}, SenderOptions{}, "sender address"},
		{"bad from", SMTP{Host: "smtp.example.com", From: "shop at example"}, SenderOptions{}, "sender address"},
		{"no host", SMTP{From: "shop@example.com"}, SenderOptions{}, "SMTP host is empty"},
		{"bad tls", SMTP{Host: "smtp.example.com", From: "shop@example.com", TLS: "ssl"}, SenderOptions{}, `TLS mode "ssl"`},
		{"short lease", ok, SenderOptions{Timeout: time.Minute, Lease: time.Minute}, "shorter than 4×timeout"},
	} {
		if _, err := NewSender(st, tc.srv, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewSender(st, ok, SenderOptions{}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestSenderStops cancels the sender while the server receives the first
// mail of a batch: that mail is finished and recorded, the rest of the
// batch is given back untried.
func TestSenderStops(t *testing.T) {
	st := testkit.NewStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startSMTP(t, testServerConfig{data: func(n int) error {
		if n == 1 {
			cancel()
		}
		return nil
	}})
	o := NewOutbox(newTestRenderer(t), false)
	var ids []int64
	for i := range 3 {
		ids = append(ids, queue(t, st, o, KindSigninLink, "en", fmt.Sprintf("u%d@example.com", i), Ref{}).ID)
	}
	res, err := newSender(t, st, srv.smtpConfig(), SenderOptions{BatchSize: 3}).SendDue(ctx)
	if err != nil || res != (Result{Sent: 1}) {
		t.Fatalf("pass = %+v, %v; want the mail in flight sent", res, err)
	}
	if got := mailByID(t, st, ids[0]); got.Status != store.MailSent {
		t.Errorf("mail in flight = %+v", got)
	}
	for _, id := range ids[1:] {
		if got := mailByID(t, st, id); got.Status != store.MailPending || got.Attempts != 0 || !got.ClaimedUntil.IsZero() {
			t.Errorf("mail %d not given back: %+v", id, got)
		}
	}
}
