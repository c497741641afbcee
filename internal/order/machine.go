package order

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Cause is who asks for a status change, and why.
type Cause struct {
	// Actor names who acts: "system", "user:12" (back office),
	// "customer:5", "provider:stripe"…
	Actor string
	// Reason is the human explanation recorded on the event.
	Reason string
	// Override is set by the caller only when the actor holds the
	// override permission (produce before payment, declare an order
	// delivered, cancel without a refund). The state machine trusts it.
	Override bool
}

// EventKind classifies the entries of an order's timeline.
type EventKind string

// Event kinds.
const (
	EventPlaced           EventKind = "placed"            // the order was created
	EventTransition       EventKind = "transition"        // status change
	EventPayment          EventKind = "payment"           // a ledger entry was recorded
	EventProductionQueued EventKind = "production_queued" // production asked for (jobs come with the production engine)
	EventProduction       EventKind = "production"        // an attempt of the production engine: account binding, a line produced or failed
	EventCreditNoteDue    EventKind = "credit_note_due"   // an invoiced order was cancelled: a credit note is due
	EventNote             EventKind = "note"              // free remark
)

// Event is one entry of an order's timeline: who did what, when, and why.
// Every transition yields one; Data holds facts worth keeping (effects run,
// invoice number, payment reference…).
type Event struct {
	ID      int64
	OrderID int64
	At      time.Time
	Actor   string
	From    Status // empty for events that change no status
	To      Status
	Kind    EventKind
	Message string
	Data    map[string]string
}

// Effect names a side effect of a transition. The order service runs them
// in the transaction that records the transition, each one idempotent.
type Effect string

// Side effects.
const (
	// EffectHoldStock takes stock for a back-office order leaving WORKING
	// (online orders hold stock at placement).
	EffectHoldStock Effect = "hold_stock"
	// EffectAllocateInvoiceNumber gives the order its gap-free invoice
	// number, once.
	EffectAllocateInvoiceNumber Effect = "allocate_invoice_number"
	// EffectConsumeStock turns held stock into sold stock.
	EffectConsumeStock Effect = "consume_stock"
	// EffectReleaseStock gives held (or sold) stock back.
	EffectReleaseStock Effect = "release_stock"
	// EffectQueueProduction asks for the order's lines to be produced;
	// recorded as an event until the production engine adds durable jobs.
	EffectQueueProduction Effect = "queue_production"
	// EffectCreditNote records that an invoiced order needs a credit note.
	EffectCreditNote Effect = "credit_note"
)

// Guard decides whether a transition may happen to o for c; it returns
// nil or an error saying why not.
type Guard func(o *Order, c Cause) error

// Transition is one allowed status change: the guard that must pass and
// the side effects that follow, in order.
type Transition struct {
	From, To Status
	Guard    Guard  // nil: always allowed
	When     string // the guard in words, for documentation and errors
	Effects  []Effect
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrTransition}, args...)...)
}

// Guards.
func unpaid(o *Order, _ Cause) error {
	if o.Paid.Amount() != 0 {
		return refuse("%s already received", o.Paid)
	}
	return nil
}

func partlyPaid(o *Order, _ Cause) error {
	if p := o.Paid.Amount(); p <= 0 || p >= o.Total.Amount() {
		return refuse("not partly paid (%s of %s)", o.Paid, o.Total)
	}
	return nil
}

func paidInFull(o *Order, _ Cause) error {
	if !o.PaidInFull() {
		return refuse("not paid in full (%s of %s)", o.Paid, o.Total)
	}
	return nil
}

func somethingPaid(o *Order, _ Cause) error {
	if o.Paid.Amount() <= 0 {
		return refuse("nothing was paid")
	}
	return nil
}

func override(_ *Order, c Cause) error {
	if !c.Override {
		return fmt.Errorf("%w: %w", ErrTransition, ErrOverrideRequired)
	}
	return nil
}

func hasLines(o *Order, _ Cause) error {
	if len(o.Lines) == 0 {
		return refuse("the order has no lines")
	}
	return nil
}

func produced(o *Order, c Cause) error {
	if !o.Produced() && !c.Override {
		return refuse("not every line is produced")
	}
	return nil
}

func productionFailed(o *Order, _ Cause) error {
	if !o.ProductionFailed() {
		return refuse("no line failed")
	}
	return nil
}

func refunded(o *Order, c Cause) error {
	if o.Paid.Amount() > 0 && !c.Override {
		return refuse("%s not refunded yet", o.Paid)
	}
	return nil
}

func all(gs ...Guard) Guard {
	return func(o *Order, c Cause) error {
		for _, g := range gs {
			if err := g(o, c); err != nil {
				return err
			}
		}
		return nil
	}
}

// Transitions returns the state machine: every allowed status change. It
// is built afresh on each call, so no caller can alter another's table.
// docs/orders.md shows the same table; a test keeps them in step.
func Transitions() []Transition {
	paidEffects := []Effect{EffectAllocateInvoiceNumber, EffectConsumeStock, EffectQueueProduction}
	var ts []Transition
	add := func(from []Status, to Status, g Guard, when string, effects ...Effect) {
		for _, f := range from {
			ts = append(ts, Transition{From: f, To: to, Guard: g, When: when, Effects: slices.Clone(effects)})
		}
	}
	unpaidStates := []Status{StatusPlaced, StatusPending, StatusRefused}

	// A back-office order is placed, or put straight in PENDING, once it
	// has lines; either way it takes its stock then.
	add([]Status{StatusWorking}, StatusPlaced, hasLines, "has lines", EffectHoldStock)
	add([]Status{StatusWorking}, StatusPending, hasLines, "has lines", EffectHoldStock)
	add([]Status{StatusWorking}, StatusCancelled, nil, "")

	// The buyer announces an offline payment (or retries after a refusal).
	add([]Status{StatusPlaced, StatusRefused}, StatusPending, unpaid, "unpaid")
	// Payment evidence, from the ledger.
	add([]Status{StatusPlaced, StatusPending, StatusRefused}, StatusPartial, partlyPaid, "partly paid")
	add([]Status{StatusPlaced, StatusPending, StatusRefused, StatusPartial}, StatusSoldout, paidInFull, "paid in full", paidEffects...)
	// The provider refused the payment.
	add([]Status{StatusPlaced, StatusPending}, StatusRefused, unpaid, "unpaid")
	// Production before (full) payment, for trusted customers.
	add([]Status{StatusPlaced, StatusPending, StatusPartial}, StatusPreprod, override, "override", EffectQueueProduction)
	// Cancelled by the buyer before payment, by an admin, or when the
	// stock hold expires.
	add(unpaidStates, StatusCancelled, unpaid, "unpaid", EffectReleaseStock)

	// A produced-before-payment order gets paid.
	add([]Status{StatusPreprod}, StatusSoldout, paidInFull, "paid in full", paidEffects...)
	add([]Status{StatusPreprod}, StatusComplete, all(paidInFull, produced), "paid in full and produced",
		EffectAllocateInvoiceNumber, EffectConsumeStock)
	add([]Status{StatusPreprod}, StatusCancelled, all(unpaid, override), "unpaid, override", EffectReleaseStock)
	add([]Status{StatusPreprod}, StatusPayback, somethingPaid, "something paid")

	// Production ends: SOLDOUT reaches COMPLETE by itself when every line
	// is produced (the reference's dead end), or by hand with override.
	add([]Status{StatusSoldout, StatusFailed}, StatusComplete, produced, "produced (or override)")
	add([]Status{StatusSoldout}, StatusFailed, productionFailed, "a line failed")
	add([]Status{StatusFailed}, StatusSoldout, nil, "", EffectQueueProduction)

	// Refunds.
	add([]Status{StatusPartial, StatusSoldout, StatusComplete, StatusFailed}, StatusPayback, nil, "")
	add([]Status{StatusPayback}, StatusCancelled, refunded, "refunded (or override)", EffectReleaseStock, EffectCreditNote)
	return ts
}

// Lookup returns the transition from → to, and false when the state
// machine has none.
func Lookup(from, to Status) (Transition, bool) {
	for _, t := range Transitions() {
		if t.From == from && t.To == to {
			return t, true
		}
	}
	return Transition{}, false
}

// Next returns the statuses an order in status from may move to.
func Next(from Status) []Status {
	var out []Status
	for _, t := range Transitions() {
		if t.From == from {
			out = append(out, t.To)
		}
	}
	return out
}

// Apply moves o to status to for cause c, at time at: it checks the state
// machine and the transition's guard, sets o.Status and returns the event
// to record and the side effects the caller must run (in the same
// transaction). On error o is unchanged.
func (o *Order) Apply(to Status, c Cause, at time.Time) (Event, []Effect, error) {
	t, ok := Lookup(o.Status, to)
	if !ok {
		return Event{}, nil, fmt.Errorf("%w: %s → %s", ErrTransition, o.Status, to)
	}
	if t.Guard != nil {
		if err := t.Guard(o, c); err != nil {
			return Event{}, nil, fmt.Errorf("order %s: %s → %s: %w", o.Number, o.Status, to, err)
		}
	}
	ev := Event{OrderID: o.ID, At: at, Actor: c.Actor, From: o.Status, To: to, Kind: EventTransition, Message: c.Reason, Data: map[string]string{}}
	if len(t.Effects) > 0 {
		names := make([]string, len(t.Effects))
		for i, e := range t.Effects {
			names[i] = string(e)
		}
		ev.Data["effects"] = strings.Join(names, ",")
	}
	if c.Override {
		ev.Data["override"] = "true"
	}
	o.Status = to
	return ev, t.Effects, nil
}
