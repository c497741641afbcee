package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"courseshop/internal/store"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// The TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain text: only for a relay on the same host or network
	TLSStartTLS TLSMode = "starttls" // STARTTLS required (the submission port, 587)
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465)
)

// SMTP says how to reach the mail server and whom mails come from.
type SMTP struct {
	Host     string
	Port     int    // 0: 25 for TLSNone, 587 for TLSStartTLS, 465 for TLSImplicit
	Username string // empty: no authentication
	Password string
	TLS      TLSMode // empty: TLSStartTLS
	From     string  // sender, bare or with a name: "Shop <no-reply@example.com>"
	// TLSConfig replaces the default TLS settings (system roots, server
	// name Host), e.g. to trust a private certificate authority.
	TLSConfig *tls.Config
}

// SenderOptions tune a Sender; zero fields take the default given.
type SenderOptions struct {
	// PollInterval is how often the outbox is read for due mails (2s).
	PollInterval time.Duration
	// BatchSize is how many mails are claimed, and sent over one SMTP
	// connection, at a time (10).
	BatchSize int
	// Timeout bounds connecting to the SMTP server and each exchange with
	// it (30s).
	Timeout time.Duration
	// Lease is how long claimed mails are held before another sender may
	// take them (10m). It must leave time for a batch: at least
	// 4×Timeout.
	Lease time.Duration
	// Backoff is the wait after the 1st, 2nd… failed attempt; the last
	// value repeats (1m, 5m, 30m, 2h, 6h, 12h, 24h).
	Backoff []time.Duration
	// MaxAttempts is how many attempts a mail gets before it is failed
	// for good (10).
	MaxAttempts int
	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives delivery failures and progress (discarded when nil).
	Log *slog.Logger
}

// DefaultBackoff returns the default waits between attempts: a mail that
// keeps failing is retried for about three days. It returns a new slice on
// each call.
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
}

func (o *SenderOptions) defaults() error {
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if len(o.Backoff) == 0 {
		o.Backoff = DefaultBackoff()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Lease < 4*o.Timeout {
		return fmt.Errorf("mail: sender lease %s is shorter than 4×timeout (%s)", o.Lease, 4*o.Timeout)
	}
	return nil
}

// Sender delivers the outbox's pending mails over SMTP. Any number of
// senders, on any number of nodes, may run on one database: each mail is
// claimed by one of them at a time. Delivery is at least once (see the
// package documentation).
type Sender struct {
	store  *store.Store
	client *gomail.Client
	from   string
	domain string // of the From address, for Message-IDs
	opt    SenderOptions
	wake   chan struct{}
}

// NewSender returns a sender delivering st's outbox through srv. It does
// not connect: a server that is down delays mails, it does not stop the
// shop.
func NewSender(st *store.Store, srv SMTP, opt SenderOptions) (*Sender, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(srv.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address %q: %w", srv.From, err)
	}
	if srv.Host == "" {
		return nil, errors.New("mail: SMTP host is empty")
	}
	mode := srv.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := srv.Port
	opts := []gomail.Option{gomail.WithTimeout(opt.Timeout)}
	switch mode {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		port = cmp.Or(port, 25)
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		port = cmp.Or(port, 587)
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		port = cmp.Or(port, 465)
	default:
		return nil, fmt.Errorf("mail: TLS mode %q: want %s, %s or %s", srv.TLS, TLSNone, TLSStartTLS, TLSImplicit)
	}
	opts = append(opts, gomail.WithPort(port))
	if srv.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(srv.TLSConfig))
	}
	if srv.Username != "" {
		// Autodiscovery picks the strongest mechanism the server offers;
		// go-mail refuses to send a password in clear over TLSNone unless
		// the server is on localhost.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(srv.Username), gomail.WithPassword(srv.Password))
	}
	client, err := gomail.NewClient(srv.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Sender{store: st, client: client, from: srv.From, domain: domain, opt: opt, wake: make(chan struct{}, 1)}, nil
}

// Notify asks a running sender to look at the outbox now instead of at
// its next poll, e.g. right after committing a sign-in link. It never
// blocks.
func (s *Sender) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due mails every poll interval (or on Notify) until ctx
// ends. A mail being sent when ctx ends is finished and recorded; claimed
// mails not yet tried are given back. Failures are logged and retried.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.opt.PollInterval)
	defer t.Stop()
	for {
		res, err := s.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.opt.Log.Error("mail outbox", slog.Any("error", err))
		}
		if res != (Result{}) {
			s.opt.Log.Info("mail outbox", slog.Int("sent", res.Sent), slog.Int("retried", res.Retried), slog.Int("failed", res.Failed))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Result counts what a SendDue pass did with the mails it claimed.
type Result struct {
	Sent    int // delivered
	Retried int // failed for now, pending again after a back-off
	Failed  int // failed for good
}

// SendDue claims and delivers due mails, batch after batch, until none is
// due or ctx ends. Run calls it; tests and commands may call it directly.
func (s *Sender) SendDue(ctx context.Context) (Result, error) {
	var res Result
	for ctx.Err() == nil {
		mails, err := s.store.ClaimMails(ctx, s.opt.Now(), s.opt.BatchSize, s.opt.Lease)
		if err != nil {
			return res, fmt.Errorf("mail: %w", err)
		}
		if len(mails) == 0 {
			break
		}
		if err := s.deliver(ctx, mails, &res); err != nil {
			return res, err
		}
		if len(mails) < s.opt.BatchSize {
			break
		}
	}
	return res, nil
}

// deliver sends a batch of claimed mails over one SMTP connection and
// records each outcome.
func (s *Sender) deliver(ctx context.Context, mails []*store.OutboxMail, res *Result) error {
	// Outcomes are recorded even when ctx has ended: a delivered mail that
	// is not marked sent would be sent again once its lease runs out.
	dbctx := context.WithoutCancel(ctx)
	var conn *smtp.Client
	defer func() {
		if conn != nil {
			_ = s.client.CloseWithSMTPClient(conn)
		}
	}()
	var errs []error
	for i, m := range mails {
		// Never start a mail that might outlive its lease: another sender
		// would take it and send it too.
		if ctx.Err() != nil || s.opt.Now().Add(2*s.opt.Timeout).After(m.ClaimedUntil) {
			return errors.Join(append(errs, s.release(dbctx, mails[i:]))...)
		}
		msg, err := s.message(m)
		if err != nil {
			errs = append(errs, s.settle(dbctx, m, err, true, res))
			continue
		}
		if conn == nil {
			conn, err = s.client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				conn = nil
				if ctx.Err() != nil {
					return errors.Join(append(errs, s.release(dbctx, mails[i:]))...)
				}
				// The server is unreachable or refuses us: nothing wrong
				// with the mails, so every one waits for another attempt.
				err = fmt.Errorf("connect to SMTP server: %w", err)
				s.opt.Log.Warn("mail: cannot reach the SMTP server", slog.Any("error", err))
				for _, m := range mails[i:] {
					errs = append(errs, s.settle(dbctx, m, err, false, res))
				}
				return errors.Join(errs...)
			}
		}
		err = s.client.SendWithSMTPClient(conn, msg)
		if msg.IsDelivered() {
			// The server took the mail; a later hiccup (RSET) does not
			// undo that.
			errs = append(errs, s.settle(dbctx, m, nil, false, res))
			continue
		}
		code := replyCode(err)
		errs = append(errs, s.settle(dbctx, m, err, code >= 500, res))
		if code == 0 {
			// Not an answer from the server: the connection is in an
			// unknown state, so the next mail gets a new one.
			_ = s.client.CloseWithSMTPClient(conn)
			conn = nil
		}
	}
	return errors.Join(errs...)
}

// replyCode returns the SMTP reply code carried by a send error: 4xx is
// temporary, 5xx permanent, 0 means no reply (network failure).
func replyCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// settle records the outcome of an attempt: sent when err is nil, else
// failed for good when permanent or out of attempts, else pending again
// after the back-off.
func (s *Sender) settle(ctx context.Context, m *store.OutboxMail, err error, permanent bool, res *Result) error {
	now := s.opt.Now()
	if err == nil {
		res.Sent++
		if err := s.store.MarkMailSent(ctx, m.ID, now); err != nil {
			return fmt.Errorf("mail: %w", err)
		}
		return nil
	}
	retryAt := now.Add(s.backoff(m.Attempts))
	if !permanent && m.Attempts >= s.opt.MaxAttempts {
		permanent = true
		err = fmt.Errorf("gave up after %d attempts: %w", m.Attempts, err)
	}
	log := s.opt.Log.With(slog.Int64("mail", m.ID), slog.String("kind", m.Kind), slog.String("to", m.To),
		slog.Int("attempt", m.Attempts), slog.Any("error", err))
	if permanent {
		res.Failed++
		retryAt = now
		log.Error("mail: delivery failed")
	} else {
		res.Retried++
		log.Warn("mail: delivery failed, will retry", slog.Time("retry_at", retryAt))
	}
	if err := s.store.MarkMailFailed(ctx, m.ID, err.Error(), retryAt, permanent); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// backoff returns the wait after the attempt-th failed attempt.
func (s *Sender) backoff(attempt int) time.Duration {
	b := s.opt.Backoff
	return b[min(max(attempt, 1), len(b))-1]
}

// release gives back claimed mails that were not tried.
func (s *Sender) release(ctx context.Context, mails []*store.OutboxMail) error {
	var errs []error
	for _, m := range mails {
		if err := s.store.ReleaseMail(ctx, m.ID); err != nil {
			errs = append(errs, fmt.Errorf("mail: %w", err))
		}
	}
	return errors.Join(errs...)
}

// message builds the MIME message of an outbox mail: multipart/alternative
// with the text and HTML bodies. The Message-ID is derived from the outbox
// row, so a mail sent twice (at-least-once delivery) carries the same one.
func (s *Sender) message(m *store.OutboxMail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(fmt.Sprintf("outbox.%d.%d@%s", m.ID, m.CreatedAt.UnixMicro(), s.domain))
	msg.SetDateWithValue(s.opt.Now())
	if m.Locale != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, m.Locale)
	}
	// RFC 3834: out-of-office robots must not answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}
