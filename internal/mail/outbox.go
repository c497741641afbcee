package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"courseshop/internal/store"
)

// ErrBadAddress is returned when a mail's recipient is not an e-mail
// address: refused when queued, where the caller can still tell someone,
// rather than failing later in the sender.
var ErrBadAddress = errors.New("mail: invalid recipient address")

// Ref names what a mail is about, for finding the mails of an order or a
// customer: {Type: "order", ID: "42"}.
type Ref struct {
	Type string
	ID   string
}

// Outbox queues mails in the outbox table, inside the transaction of the
// event that causes them. It is immutable and safe for concurrent use.
type Outbox struct {
	renderer *Renderer
	captured bool
}

// NewOutbox returns an Outbox rendering with r. When captured is true
// (no SMTP server: serve --demo, tests), queued mails get status captured
// and are never sent; otherwise they are pending for the Sender.
func NewOutbox(r *Renderer, captured bool) *Outbox {
	return &Outbox{renderer: r, captured: captured}
}

// Captured reports whether mails stay in the outbox instead of being sent.
func (o *Outbox) Captured() bool { return o.captured }

// Renderer returns the renderer the outbox uses, for previews.
func (o *Outbox) Renderer() *Renderer { return o.renderer }

// Queue renders a mail of kind for locale with data (see Renderer.Render),
// addressed to to, and writes it to the outbox with tx, which should be the
// Store of the transaction recording the event: if that transaction rolls
// back, the mail was never queued. shopID 0 means no shop.
func (o *Outbox) Queue(ctx context.Context, tx *store.Store, kind, locale, to string, data any, ref Ref, shopID int64) (*store.OutboxMail, error) {
	msg, err := o.renderer.Render(kind, locale, data)
	if err != nil {
		return nil, err
	}
	msg.To, msg.RefType, msg.RefID, msg.ShopID = to, ref.Type, ref.ID, shopID
	return o.Enqueue(ctx, tx, msg)
}

// Enqueue writes an already rendered message to the outbox with tx (see
// Queue).
func (o *Outbox) Enqueue(ctx context.Context, tx *store.Store, msg Message) (*store.OutboxMail, error) {
	to, err := checkAddress(msg.To)
	if err != nil {
		return nil, err
	}
	status := store.MailPending
	if o.captured {
		status = store.MailCaptured
	}
	m := &store.OutboxMail{ShopID: msg.ShopID, Kind: msg.Kind, Locale: msg.Locale, To: to, Subject: msg.Subject,
		Text: msg.Text, HTML: msg.HTML, Status: status, RefType: msg.RefType, RefID: msg.RefID}
	if err := tx.EnqueueMail(ctx, m); err != nil {
		return nil, fmt.Errorf("mail: queue %s: %w", msg.Kind, err)
	}
	return m, nil
}

// checkAddress accepts one address, bare or with a display name
// ("Sales <sales@example.com>"), and returns it trimmed.
func checkAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := mail.ParseAddress(s); err != nil {
		return "", fmt.Errorf("%w: %q", ErrBadAddress, s)
	}
	return s, nil
}
