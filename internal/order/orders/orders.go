// Package orders runs the order use cases over the store: placing an order
// from a checked cart, recording offline payments, cancelling, expiring
// stock holds, and any other status change of the state machine. Each use
// case is one database transaction in which the status change, its side
// effects (stock, invoice number) and the timeline entry commit together or
// not at all.
//
// It lives apart from package order because the store imports order's
// types; package shop (the web's application layer) calls it, never the
// other way round.
package orders

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/order"
	"courseshop/internal/payment"
	"courseshop/internal/pricing"
	"courseshop/internal/store"
)

// DefaultHold is how long an unpaid order holds its stock when the caller
// does not say: long enough for a check or a bank transfer to arrive.
const DefaultHold = 14 * 24 * time.Hour

// Errors of this package (wrapped; test with errors.Is). Other failures
// carry the sentinels of the packages they come from: order.ErrSoldOut
// (with an *order.SoldOutError naming the product), order.ErrTransition,
// payment.ErrModeNotAllowed, payment.ErrInvalidInput (an
// *payment.InputError), store.ErrNotFound, store.ErrConflict.
var (
	// ErrInvalid is returned for a placement request that cannot make an
	// order: no lines, no product, a bad quantity, a set, an unknown tax
	// class or bundle element, no customer e-mail.
	ErrInvalid = errors.New("orders: invalid order")
	// ErrInvalidPayment is returned for a payment that cannot be recorded:
	// not positive, in another currency, without a reference, or a
	// reference already recorded with another amount.
	ErrInvalidPayment = errors.New("orders: invalid payment")
)

// Options tune a Service; the zero value is fine.
type Options struct {
	// Now is the clock for events, holds and numbering years.
	Now func() time.Time
	// DefaultHold replaces DefaultHold when positive.
	DefaultHold time.Duration
	// Production, when set, receives the orders whose "queue_production"
	// effect runs (paid, produced before payment, retried after a
	// failure), inside the transaction of the transition, so that its
	// durable jobs commit with the payment or not at all. Enqueue must
	// only use tx and be idempotent: the transaction may run again.
	Production Production
}

// Production is the production engine as the order service sees it
// (internal/production implements it).
type Production interface {
	Enqueue(ctx context.Context, tx *store.Store, o *order.Order) error
}

// Service runs the order use cases.
type Service struct {
	store *store.Store
	modes *payment.Registry
	now   func() time.Time
	hold  time.Duration
	prod  Production
}

// New returns the service over st, accepting the payment modes of modes.
func New(st *store.Store, modes *payment.Registry, opt Options) *Service {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	hold := opt.DefaultHold
	if hold <= 0 {
		hold = DefaultHold
	}
	return &Service{store: st, modes: modes, hold: hold, prod: opt.Production,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// Modes returns the payment mode registry the service checks modes with.
func (s *Service) Modes() *payment.Registry { return s.modes }

// PlaceLine is one cart line to order.
type PlaceLine struct {
	Product  *catalog.Product // the live product, as the catalogue has it now
	Quantity int
	// Answers are the product's required data, one map per unit.
	Answers []map[string]string
	// Participants are the learners named for the line's seats.
	Participants []order.Participant
}

// PlaceInput is everything placing an order needs. The caller has applied
// the sales rules (catalog.Product.CheckPurchase: status, audience,
// passcode, maximum quantity) and validated the customer step; Place
// recomputes every amount, checks the payment mode and takes the stock.
type PlaceInput struct {
	Shop  *catalog.Shop
	Lines []PlaceLine
	// Elements are the products inside bundles, by ID (the catalogue's
	// index of products by ID will do).
	Elements map[int64]*catalog.Product
	// TaxClasses are the tax classes by ID; a product with a tax class
	// missing here is refused rather than sold untaxed.
	TaxClasses map[int64]*catalog.TaxClass
	// TaxCountry is the country whose rates apply; empty means the
	// seller's country (Shop.Seller.Country).
	TaxCountry string
	Customer   order.Identity
	Invoicing  *order.Identity // nil: invoice the customer
	CustomerID int64           // the customer account, 0 when none
	LMSUserRef string          // the signed-in buyer's LMS account, if any
	// PaymentMode is the mode the buyer chose; PaymentInput what they
	// typed in its fields (e.g. po_number).
	PaymentMode  string
	PaymentInput map[string]string
	// ModeContext says who buys (SignedIn, Admin). Place sets its Shop
	// and Total itself, from the recomputed order.
	ModeContext payment.ModeContext
	Locale      string
	PartnerTag  string
	// Actor is recorded on the order's events ("customer:5", "guest"…);
	// empty means "buyer".
	Actor string
	// HoldFor is how long the stock stays held while the order is
	// unpaid; zero means the service's default (DefaultHold).
	HoldFor time.Duration
	// AfterPlace, when set, runs inside the placement transaction once
	// the order is recorded (and paid, for the test and free modes), so
	// that what it writes (outbox mails, the cart emptied) commits with
	// the order or not at all. It must only use tx: the transaction may
	// be run again after losing a race, so it must have no other effect.
	AfterPlace func(tx *store.Store, o *order.Order) error
}

// Place records an order in one transaction: it recomputes the amounts
// with package pricing, checks the payment mode against the recomputed
// total (free only at zero), holds the stock of every limited product and
// bundle element (one sold-out product refuses the whole order with an
// *order.SoldOutError), allocates the order number, and creates the order
// in PLACED with its access token. Then, in the same transaction, the test
// mode records a test payment and moves the order to SOLDOUT (with its
// invoice number), the free mode moves it to SOLDOUT, and offline modes
// move it to PENDING. It returns the order carrying its plain AccessToken:
// the only time the token is visible.
func (s *Service) Place(ctx context.Context, in PlaceInput) (*order.Order, error) {
	return s.PlaceTx(ctx, s.store, in)
}

// PlaceTx is Place within the caller's transaction when st is the store an
// InTx callback received (a new transaction otherwise).
func (s *Service) PlaceTx(ctx context.Context, st *store.Store, in PlaceInput) (*order.Order, error) {
	var out *order.Order
	err := st.InTx(ctx, func(tx *store.Store) error {
		o, err := s.place(ctx, tx, in)
		out = o
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func (s *Service) place(ctx context.Context, tx *store.Store, in PlaceInput) (*order.Order, error) {
	if in.Shop == nil {
		return nil, invalid("no shop")
	}
	if len(in.Lines) == 0 {
		return nil, invalid("no lines")
	}
	if strings.TrimSpace(in.Customer.Email) == "" {
		return nil, invalid("no customer e-mail")
	}
	hold := in.HoldFor
	if hold < 0 {
		return nil, invalid("negative hold %s", hold)
	}
	if hold == 0 {
		hold = s.hold
	}
	actor := cmp.Or(in.Actor, "buyer")
	country := cmp.Or(in.TaxCountry, in.Shop.Seller.Country)
	now := s.now()

	o := &order.Order{
		ShopID: in.Shop.ID, CustomerID: in.CustomerID, LMSUserRef: in.LMSUserRef, Status: order.StatusPlaced,
		Currency: in.Shop.Currency, Customer: in.Customer, Invoicing: in.Invoicing, PaymentMode: in.PaymentMode,
		Locale: cmp.Or(in.Locale, in.Shop.DefaultLocale), PartnerTag: in.PartnerTag, Test: in.Shop.TestMode,
		PlacedAt: now, HoldExpiresAt: now.Add(hold),
	}
	if err := s.price(o, in, country); err != nil {
		return nil, err
	}

	// The mode is checked against the total just computed, never against
	// what the page showed.
	mc := in.ModeContext
	mc.Shop, mc.Total = in.Shop, o.Total
	mode, err := s.modes.Check(in.PaymentMode, mc)
	if err != nil {
		return nil, err
	}
	data, problems := mode.ValidateInput(in.PaymentInput)
	if len(problems) > 0 {
		return nil, &payment.InputError{Mode: mode.Name(), Problems: problems}
	}
	o.PaymentData = data

	// Stock first: a sold-out order fails before it takes a number.
	if o.Holds, err = s.takeStock(ctx, tx, o); err != nil {
		return nil, err
	}
	year := now.Year()
	n, err := tx.NextCounter(ctx, fmt.Sprintf("order:%d:%d", in.Shop.ID, year))
	if err != nil {
		return nil, err
	}
	o.Number = OrderNumber(in.Shop.Code, year, n)
	access := bearer.New()
	o.AccessTokenHash = bearer.Hash(access)
	first := order.Event{At: now, Actor: actor, To: order.StatusPlaced, Kind: order.EventPlaced, Message: "order placed",
		Data: map[string]string{"payment_mode": mode.Name(), "total": o.Total.String(), "tax_country": country}}
	if err := tx.CreateOrder(ctx, o, first); err != nil {
		return nil, err
	}

	switch {
	case mode.Name() == payment.ModeTest:
		if o.Total.IsPositive() {
			p := &store.Payment{OrderID: o.ID, Provider: payment.ModeTest, Kind: store.PaymentKindPayment, Amount: o.Total,
				ExternalID: "test:" + o.Number, Status: store.PaymentSucceeded, Data: map[string]string{"actor": actor}}
			if err := s.recordPayment(ctx, tx, o, p, actor); err != nil {
				return nil, err
			}
		}
		err = s.transition(ctx, tx, o, order.StatusSoldout, order.Cause{Actor: actor, Reason: "test payment"})
	case mode.Name() == payment.ModeFree:
		err = s.transition(ctx, tx, o, order.StatusSoldout, order.Cause{Actor: actor, Reason: "nothing to pay"})
	case mode.Offline():
		err = s.transition(ctx, tx, o, order.StatusPending, order.Cause{Actor: actor, Reason: "awaiting " + mode.Name() + " payment"})
	}
	if err != nil {
		return nil, err
	}
	if in.AfterPlace != nil {
		if err := in.AfterPlace(tx, o); err != nil {
			return nil, err
		}
	}
	o.AccessToken = access
	return o, nil
}

// OrderNumber formats an order number: the shop code in capitals, the
// year, and the shop's sequence for that year on six digits at least,
// e.g. DEMO-2026-000123.
func OrderNumber(shopCode string, year int, n int64) string {
	return fmt.Sprintf("%s-%d-%06d", strings.ToUpper(shopCode), year, n)
}

// InvoiceNumber formats an invoice number: F, the year, and the shop's
// invoice sequence for that year, e.g. F2026-000001. Orders placed in test
// mode have their own series, prefixed TEST-, so that no test ever takes a
// number of the legal series.
func InvoiceNumber(test bool, year int, n int64) string {
	prefix := "F"
	if test {
		prefix = "TEST-F"
	}
	return fmt.Sprintf("%s%d-%06d", prefix, year, n)
}

func invoiceCounter(o *order.Order, year int) string {
	series := "invoice"
	if o.Test {
		series = "invoice-test"
	}
	return fmt.Sprintf("%s:%d:%d", series, o.ShopID, year)
}

// price builds the order's lines with their snapshots and amounts. Every
// amount comes from pricing.Compute: the totals are the sums of the lines.
func (s *Service) price(o *order.Order, in PlaceInput, country string) error {
	cur := in.Shop.Currency
	lines := make([]pricing.Line, len(in.Lines))
	for i, pl := range in.Lines {
		p := pl.Product
		if p == nil {
			return invalid("line %d: no product", i+1)
		}
		if pl.Quantity <= 0 {
			return invalid("%s: quantity %d", p.Code, pl.Quantity)
		}
		if p.Kind == catalog.KindSet {
			return invalid("%s: a set is bought element by element", p.Code)
		}
		unit, err := p.UnitPrice(cur, pl.Quantity)
		if err != nil {
			return fmt.Errorf("orders: %s in %s: %w", p.Code, cur, err)
		}
		var tc *catalog.TaxClass
		if p.TaxClassID != 0 {
			if tc = in.TaxClasses[p.TaxClassID]; tc == nil {
				return invalid("%s: unknown tax class %d", p.Code, p.TaxClassID)
			}
		}
		rate := tc.RateFor(country)
		snap := order.LineSnapshot{Code: p.Code, Kind: p.Kind, Names: map[string]string{}, Unit: unit, RateBP: rate,
			Handler: p.Handler, HandlerParams: p.HandlerParams, SeatMode: p.SeatMode, Renewable: p.Renewable,
			Answers: pl.Answers, Participants: pl.Participants}
		if tc != nil {
			snap.TaxClass = tc.Code
		}
		for lang, t := range p.Texts {
			snap.Names[lang] = t.Name
		}
		for _, e := range p.Elements {
			ep := in.Elements[e.ProductID]
			if ep == nil {
				return invalid("%s: unknown bundle element %d", p.Code, e.ProductID)
			}
			snap.Elements = append(snap.Elements, order.ElementSnapshot{ProductID: ep.ID, Code: ep.Code, Quantity: e.Quantity})
		}
		o.Lines = append(o.Lines, order.Line{Position: i + 1, Kind: order.LineProduct, ProductID: p.ID, Code: p.Code,
			Quantity: pl.Quantity, Unit: unit, RateBP: rate, Snapshot: snap, Production: order.ProductionPending})
		lines[i] = pricing.Line{Unit: unit, Quantity: pl.Quantity, RateBP: rate}
	}
	t, err := pricing.Compute(cur, lines)
	if err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	for i, a := range t.Lines {
		o.Lines[i].Untaxed, o.Lines[i].Tax, o.Lines[i].Total = a.Untaxed, a.Tax, a.Taxed
	}
	o.Untaxed, o.Tax, o.Total = t.Untaxed, t.Tax, t.Taxed
	for _, r := range t.ByRate {
		o.TaxBreakdown = append(o.TaxBreakdown, order.RateTotal{RateBP: r.RateBP, Untaxed: r.Untaxed, Tax: r.Tax})
	}
	o.Paid, err = money.Zero(cur)
	return err
}

// takeStock holds, for the order's lines, the stock of every product with
// a stock limit (bundles and their elements alike), and returns the holds.
// Products are taken in ID order so that concurrent orders lock them in
// the same order and never deadlock.
func (s *Service) takeStock(ctx context.Context, tx *store.Store, o *order.Order) ([]order.StockHold, error) {
	need := map[int64]int{}
	codes := map[int64]string{}
	for _, l := range o.Lines {
		if l.ProductID != 0 {
			need[l.ProductID] += l.Quantity
			codes[l.ProductID] = l.Code
		}
		for _, e := range l.Snapshot.Elements {
			need[e.ProductID] += l.Quantity * e.Quantity
			codes[e.ProductID] = e.Code
		}
	}
	ids := make([]int64, 0, len(need))
	for id := range need {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// Limits are read in the transaction; the conditional update in
	// HoldStock is what actually guarantees the limit.
	stock, err := tx.ProductStocks(ctx, ids)
	if err != nil {
		return nil, err
	}
	var holds []order.StockHold
	for _, id := range ids {
		if stock[id].Limit == 0 {
			continue
		}
		if err := tx.HoldStock(ctx, id, need[id]); err != nil {
			if errors.Is(err, order.ErrSoldOut) {
				return nil, &order.SoldOutError{Code: codes[id]}
			}
			return nil, err
		}
		holds = append(holds, order.StockHold{ProductID: id, Code: codes[id], Quantity: need[id], State: order.HoldHeld})
	}
	return holds, nil
}

// transition moves o to status to within tx: the state machine's guard,
// the side effects, the optimistic status update and the timeline entry.
func (s *Service) transition(ctx context.Context, tx *store.Store, o *order.Order, to order.Status, c order.Cause) error {
	now := s.now()
	ev, effects, err := o.Apply(to, c, now)
	if err != nil {
		return err
	}
	// Effects that only announce something get their own events, written
	// after the transition's so that the timeline reads in order.
	var later []order.Event
	for _, e := range effects {
		switch e {
		case order.EffectHoldStock:
			holds, err := s.takeStock(ctx, tx, o)
			if err != nil {
				return err
			}
			if err := tx.AddOrderHolds(ctx, o.ID, holds); err != nil {
				return err
			}
			o.Holds = holds
		case order.EffectAllocateInvoiceNumber:
			if o.InvoiceNumber != "" {
				continue // issued once, never again
			}
			n, err := tx.NextCounter(ctx, invoiceCounter(o, now.Year()))
			if err != nil {
				return err
			}
			number := InvoiceNumber(o.Test, now.Year(), n)
			if err := tx.SetInvoiceNumber(ctx, o.ID, number, now); err != nil {
				return err
			}
			o.InvoiceNumber, o.InvoicedAt = number, now
			ev.Data["invoice_number"] = number
		case order.EffectConsumeStock:
			if _, err := tx.ConsumeOrderStock(ctx, o.ID); err != nil {
				return err
			}
			setHolds(o, order.HoldHeld, order.HoldSold)
		case order.EffectReleaseStock:
			if _, err := tx.ReleaseOrderStock(ctx, o.ID); err != nil {
				return err
			}
			setHolds(o, order.HoldHeld, order.HoldReleased)
			setHolds(o, order.HoldSold, order.HoldReleased)
		case order.EffectQueueProduction:
			if s.prod != nil {
				if err := s.prod.Enqueue(ctx, tx, o); err != nil {
					return fmt.Errorf("orders: queue production of %s: %w", o.Number, err)
				}
			}
			later = append(later, order.Event{At: now, Actor: c.Actor, Kind: order.EventProductionQueued,
				Message: "production queued", Data: map[string]string{"lines": strconv.Itoa(len(o.Lines))}})
		case order.EffectCreditNote:
			if o.InvoiceNumber != "" {
				later = append(later, order.Event{At: now, Actor: c.Actor, Kind: order.EventCreditNoteDue,
					Message: "credit note due", Data: map[string]string{"invoice_number": o.InvoiceNumber}})
			}
		default:
			return fmt.Errorf("orders: effect %q has no implementation", e)
		}
	}
	if err := tx.UpdateOrderStatus(ctx, o, ev); err != nil {
		return err
	}
	for i := range later {
		later[i].OrderID = o.ID
		if err := tx.AddOrderEvent(ctx, &later[i]); err != nil {
			return err
		}
	}
	return nil
}

func setHolds(o *order.Order, from, to order.HoldState) {
	for i := range o.Holds {
		if o.Holds[i].State == from {
			o.Holds[i].State = to
		}
	}
}

// locked runs fn on order id in one transaction, holding the order's row
// lock, and returns the order as fn left it.
func (s *Service) locked(ctx context.Context, id int64, fn func(tx *store.Store, o *order.Order) error) (*order.Order, error) {
	var out *order.Order
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockOrder(ctx, id); err != nil {
			return err
		}
		o, err := tx.OrderByID(ctx, id)
		if err != nil {
			return err
		}
		out = o
		return fn(tx, o)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Transition moves order id to status to for cause c, applying the state
// machine's guard and side effects in one transaction. It returns the
// order as it now is.
func (s *Service) Transition(ctx context.Context, id int64, to order.Status, c order.Cause) (*order.Order, error) {
	return s.locked(ctx, id, func(tx *store.Store, o *order.Order) error {
		return s.transition(ctx, tx, o, to, c)
	})
}

// TransitionTx is Transition within the caller's transaction when st is
// the store an InTx callback received (a new transaction otherwise); the
// production engine uses it to record a line's result and the order's
// resulting status change together.
func (s *Service) TransitionTx(ctx context.Context, st *store.Store, id int64, to order.Status, c order.Cause) (*order.Order, error) {
	var out *order.Order
	err := st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockOrder(ctx, id); err != nil {
			return err
		}
		o, err := tx.OrderByID(ctx, id)
		if err != nil {
			return err
		}
		out = o
		return s.transition(ctx, tx, o, to, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cancel cancels order id before any payment (by the buyer, an admin, or
// the system) and releases its stock. A paid order is refunded first
// (PAYBACK), through Transition.
func (s *Service) Cancel(ctx context.Context, id int64, c order.Cause) (*order.Order, error) {
	return s.locked(ctx, id, func(tx *store.Store, o *order.Order) error {
		if !o.Status.Unpaid() && o.Status != order.StatusWorking {
			return fmt.Errorf("%w: order %s is %s: only unpaid orders can be cancelled", order.ErrTransition, o.Number, o.Status)
		}
		return s.transition(ctx, tx, o, order.StatusCancelled, c)
	})
}

// ExpireHolds cancels the unpaid orders (PLACED, PENDING, REFUSED, nothing
// received) whose stock hold lapsed at now, releasing their stock; one
// transaction per order, so one failure does not hold up the others. It
// returns how many orders it cancelled, and the failures joined.
func (s *Service) ExpireHolds(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.store.ExpiredHolds(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		cancelled := false
		_, err := s.locked(ctx, id, func(tx *store.Store, o *order.Order) error {
			// Checked again under the lock: a payment may have arrived
			// since the list was read.
			if !o.Status.Unpaid() || o.Paid.Amount() != 0 || o.HoldExpiresAt.IsZero() || o.HoldExpiresAt.After(now) {
				return nil
			}
			cancelled = true
			return s.transition(ctx, tx, o, order.StatusCancelled, order.Cause{Actor: "system", Reason: "stock hold expired"})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("order %d: %w", id, err))
			continue
		}
		if cancelled {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// OfflineProvider is the ledger provider of payments recorded by hand.
const OfflineProvider = "offline"

// RecordOfflinePayment records money received outside the shop (a check,
// a transfer, a paid purchase order) for order id, under the reference ref
// (the check or transfer number), by actor. The paid amount comes from
// the ledger: part of the total moves the order to PARTIAL, the whole of
// it to SOLDOUT, which allocates the invoice number, turns held stock
// into sold stock and queues production, all in the same transaction.
// Recording the same ref again for the order changes nothing and returns
// the order (the same ref with another amount is refused). Cancelled,
// already paid and refunded orders take no payment.
func (s *Service) RecordOfflinePayment(ctx context.Context, id int64, amount money.Money, ref, actor string) (*order.Order, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, fmt.Errorf("%w: no reference", ErrInvalidPayment)
	}
	if !amount.IsPositive() {
		return nil, fmt.Errorf("%w: amount %s is not positive", ErrInvalidPayment, amount)
	}
	return s.locked(ctx, id, func(tx *store.Store, o *order.Order) error {
		if amount.Currency() != o.Currency {
			return fmt.Errorf("%w: %s for an order in %s", ErrInvalidPayment, amount, o.Currency)
		}
		ext := strconv.FormatInt(o.ID, 10) + ":" + ref
		prev, err := tx.PaymentByExternalID(ctx, OfflineProvider, ext)
		switch {
		case err == nil && prev.Amount.Equal(amount):
			return nil // a replay: already recorded, nothing changes
		case err == nil:
			return fmt.Errorf("%w: reference %q was recorded with %s", ErrInvalidPayment, ref, prev.Amount)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		switch o.Status {
		case order.StatusPlaced, order.StatusPending, order.StatusRefused, order.StatusPartial, order.StatusPreprod:
		default:
			return fmt.Errorf("%w: order %s is %s: no payment can be recorded", order.ErrTransition, o.Number, o.Status)
		}
		p := &store.Payment{OrderID: o.ID, Provider: OfflineProvider, Kind: store.PaymentKindPayment, Amount: amount,
			ExternalID: ext, Status: store.PaymentSucceeded, Data: map[string]string{"ref": ref, "mode": o.PaymentMode, "actor": actor}}
		if err := s.recordPayment(ctx, tx, o, p, actor); err != nil {
			return err
		}
		c := order.Cause{Actor: actor, Reason: "payment " + ref}
		switch {
		case o.PaidInFull():
			return s.transition(ctx, tx, o, order.StatusSoldout, c)
		case o.Status.Unpaid():
			return s.transition(ctx, tx, o, order.StatusPartial, c)
		default: // PARTIAL or PREPROD, still not paid in full
			return tx.SetOrderPaid(ctx, o.ID, o.Paid)
		}
	})
}

// recordPayment adds p to the ledger, notes it on the timeline and sets
// o.Paid from the ledger.
func (s *Service) recordPayment(ctx context.Context, tx *store.Store, o *order.Order, p *store.Payment, actor string) error {
	if err := tx.AddPayment(ctx, p); err != nil {
		return err
	}
	ev := order.Event{OrderID: o.ID, At: s.now(), Actor: actor, Kind: order.EventPayment, Message: "payment received",
		Data: map[string]string{"provider": p.Provider, "amount": p.Amount.String(), "external_id": p.ExternalID}}
	if err := tx.AddOrderEvent(ctx, &ev); err != nil {
		return err
	}
	paid, err := tx.PaidAmount(ctx, o.ID, o.Currency)
	if err != nil {
		return err
	}
	o.Paid = paid
	return nil
}

// Order returns order id with its lines and holds.
func (s *Service) Order(ctx context.Context, id int64) (*order.Order, error) {
	return s.store.OrderByID(ctx, id)
}

// OrderByToken returns the order whose access token is token (the plain
// token from the order link). It does not check the shop: callers compare
// o.ShopID with the shop of the URL.
func (s *Service) OrderByToken(ctx context.Context, access string) (*order.Order, error) {
	if access == "" {
		return nil, fmt.Errorf("%w: empty order token", store.ErrNotFound)
	}
	return s.store.OrderByAccessToken(ctx, bearer.Hash(access))
}

// Events returns the timeline of order id, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]order.Event, error) {
	return s.store.OrderEvents(ctx, id)
}

// Instructions returns how the buyer of o pays, from o's payment mode,
// and false when the mode is not registered.
func (s *Service) Instructions(o *order.Order, shop *catalog.Shop, lang string) (payment.Instructions, bool) {
	m, ok := s.modes.Mode(o.PaymentMode)
	if !ok {
		return payment.Instructions{}, false
	}
	return m.Instructions(o, shop, lang), true
}
