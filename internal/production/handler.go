package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/order"
	"courseshop/internal/store"
)

// Errors of production (wrapped; test with errors.Is).
var (
	// ErrInvalidParams is returned by a handler's Validate, and fails a
	// line for good when its frozen parameters do not validate.
	ErrInvalidParams = errors.New("production: invalid handler parameters")
	// ErrUnknownHandler fails a line whose product names a handler that
	// is not registered.
	ErrUnknownHandler = errors.New("production: unknown handler")
	// ErrPermanent marks a failure that trying again will not cure.
	ErrPermanent = errors.New("production: permanent failure")
	// ErrNoOrders is returned by Run and RetryOrder before UseOrders.
	ErrNoOrders = errors.New("production: no order service (call UseOrders)")
)

// Handler produces one kind of product: it validates the parameters a
// product carries and, once the order is paid, makes what was bought exist
// in the LMS and in the shop (product instances).
//
// Produce may be called again for the same line after a crash (the engine
// runs jobs at least once), so it must be idempotent: it skips the units
// Task.Has reports as produced, and only calls LMS operations that are
// upserts (Enrol, AssignRole, AddToGroup). The instances it returns are
// created by the engine, in the transaction that records the line as
// produced.
type Handler interface {
	// Validate checks a product's handler parameters, so that the
	// catalogue can refuse a product that could never be produced.
	Validate(params json.RawMessage) error
	// Produce produces t's units and returns the instances to record.
	Produce(ctx context.Context, t *Task) ([]*store.Instance, error)
}

// Registry maps handler names (products.handler) to handlers.
type Registry struct {
	handlers map[string]Handler
}

// NewRegistry returns a registry of the built-in handlers.
func NewRegistry() *Registry {
	r := &Registry{handlers: map[string]Handler{}}
	r.Register(HandlerEnrolOneCourse, enrolOneCourse{})
	r.Register(HandlerRegisteredProduct, registeredProduct{})
	r.Register(HandlerSeatPool, seatPool{})
	r.Register(HandlerSession, session{})
	r.Register(HandlerExtendEnrolment, extendEnrolment{})
	r.Register(HandlerAssignRole, assignRole{})
	r.Register(HandlerCreateCourse, createCourse{})
	r.Register(HandlerCreateCategory, createCategory{})
	return r
}

// Register adds or replaces a handler.
func (r *Registry) Register(name string, h Handler) { r.handlers[name] = h }

// Handler returns the handler registered under name.
func (r *Registry) Handler(name string) (Handler, bool) {
	h, ok := r.handlers[name]
	return h, ok
}

// Names returns the registered handler names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.handlers))
	for n := range r.handlers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate checks params against the handler called name: the check the
// catalogue runs when a product is saved. An empty name needs no
// production and is valid.
func (r *Registry) Validate(name string, params json.RawMessage) error {
	if name == "" {
		return nil
	}
	h, ok := r.handlers[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownHandler, name)
	}
	return h.Validate(params)
}

// AnswerChecker is implemented by the handlers that check, at checkout,
// the answers a unit's required-data fields got, beyond the fields' own
// rules (a reference's checksum…).
type AnswerChecker interface {
	CheckAnswers(params json.RawMessage, answers map[string]string) []AnswerProblem
}

// AnswerProblem is a problem with one answer: the field, and the i18n key
// of the message.
type AnswerProblem struct {
	Field, Key string
}

// CheckAnswers applies the answer checks of the handler called name to
// one unit's answers: none for most handlers.
func (r *Registry) CheckAnswers(name string, params json.RawMessage, answers map[string]string) []AnswerProblem {
	if c, ok := r.handlers[name].(AnswerChecker); ok {
		return c.CheckAnswers(params, answers)
	}
	return nil
}

// Task is what a handler produces: one product (a line's product, or one
// element of a bundle line) for one order line, with what it needs to
// reach the LMS and the people concerned.
type Task struct {
	Order *order.Order
	Line  *order.Line
	// Unit is the product to produce: its own handler and parameters,
	// frozen when production was queued.
	Unit Unit
	// Buyer is the LMS account of the customer (rule C3), bound by the
	// order's first phase.
	Buyer *lms.User
	// Base is when the period of what is produced starts by default: the
	// time production was queued, the same on every attempt.
	Base time.Time
	// Now is the time of this attempt.
	Now time.Time
	LMS lms.Connector

	engine   *Engine
	job      *store.Job
	existing map[string]bool
	mails    []pendingMail
	notes    []string
	extended []extension
}

// Has reports whether the unit key (as a handler names it) of this task
// already has an instance: it was produced by an earlier attempt.
func (t *Task) Has(key string) bool { return t.existing[t.Unit.Key+key] }

// Participants returns the learners named for the line's seats.
func (t *Task) Participants() []order.Participant { return t.Line.Snapshot.Participants }

// Account returns the LMS account of a participant, creating it (and
// queuing the password-setting mail) when the LMS has none with that
// e-mail, as for a guest buyer (rule C3). An existing account is used as
// it is.
func (t *Task) Account(ctx context.Context, p order.Participant) (*lms.User, error) {
	u, created, err := t.engine.ensureAccount(ctx, t.LMS, t.Order.ShopID, t.job, person{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		City: p.City, Institution: p.Institution, Phone: p.Phone}, t.Order.Locale, t.Order.CustomerID, store.CreatedForLearner)
	if err != nil {
		return nil, err
	}
	if created {
		m, err := t.engine.accountCreatedMail(ctx, t.LMS, t.Order, u)
		if err != nil {
			return nil, err
		}
		t.mails = append(t.mails, m)
		t.Note("account %s created for participant %s", u.Username, p.Email)
	}
	return u, nil
}

// recipient is someone a handler grants something to: the buyer (unit key
// "buyer") or the n-th participant of the line ("p<n>"), whose account is
// found or created only when needed.
type recipient struct {
	key     string
	account func() (*lms.User, error)
}

// recipients returns the participants the line names, or, when it names
// none, the buyer.
func (t *Task) recipients(ctx context.Context) []recipient {
	ps := t.Participants()
	if len(ps) == 0 {
		return []recipient{{"buyer", func() (*lms.User, error) { return t.Buyer, nil }}}
	}
	out := make([]recipient, 0, len(ps))
	for i, p := range ps {
		out = append(out, recipient{"p" + strconv.Itoa(i+1), func() (*lms.User, error) { return t.Account(ctx, p) }})
	}
	return out
}

// Note adds a remark to the attempt's timeline entry.
func (t *Task) Note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// Instance returns a new instance of this task's product for the unit key
// key, owned by the order's customer.
func (t *Task) Instance(key string) *store.Instance {
	return &store.Instance{CustomerID: t.Order.CustomerID, ProductID: t.Unit.ProductID, OrderLineID: t.Line.ID,
		UnitKey: t.Unit.Key + key, Handler: t.Unit.Handler, Test: t.Order.Test, Data: map[string]string{"code": t.Unit.Code}}
}

// Unit is a product to produce for a line: the line's own product, or an
// element of a bundle line, with its handler and parameters frozen in the
// job when production was queued (later catalogue edits change nothing).
type Unit struct {
	// Key prefixes the unit keys of its instances: "" for the line's
	// own product, "e<n>:" for the n-th element of a bundle.
	Key       string          `json:"key"`
	ProductID int64           `json:"product_id"`
	Code      string          `json:"code"`
	Handler   string          `json:"handler"`
	Params    json.RawMessage `json:"params,omitempty"`
	Quantity  int             `json:"quantity"` // units bought: line quantity × element quantity
}

// permanent marks err as a failure that will not go away by itself.
func permanent(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// isPermanent classifies a failure: the LMS says whether trying again may
// help; missing courses, categories or users, bad parameters and unknown handlers do
// not go away by themselves; anything else (the database, the network)
// is worth another try.
func isPermanent(err error) bool {
	var le *lms.Error
	switch {
	case errors.Is(err, ErrPermanent), errors.Is(err, ErrInvalidParams), errors.Is(err, ErrUnknownHandler),
		errors.Is(err, lms.ErrNoCourse), errors.Is(err, lms.ErrNoCategory), errors.Is(err, lms.ErrNoUser):
		return true
	case errors.As(err, &le):
		return !le.Retryable
	}
	return false
}
