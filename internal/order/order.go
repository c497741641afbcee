// Package order defines what a cart becomes once placed: the order with its
// frozen customer identity and line snapshots, its totals in integer minor
// units, its status and the state machine that moves it from one status to
// the next. It holds no SQL (the store persists orders) and runs no use case
// (package orders does, over the store).
package order

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/money"
)

// Status is where an order stands. The values are those of the orders
// table's CHECK constraint and of the reference shop, so that its users
// recognise them; docs/orders.md gives their meaning.
type Status string

// Order statuses.
const (
	StatusWorking   Status = "WORKING"   // manual order being prepared in the back office
	StatusPlaced    Status = "PLACED"    // placed online, no payment evidence yet
	StatusPending   Status = "PENDING"   // waiting for an offline payment the buyer announced
	StatusPreprod   Status = "PREPROD"   // produced before payment (override)
	StatusPartial   Status = "PARTIAL"   // partly paid
	StatusSoldout   Status = "SOLDOUT"   // paid in full, production queued or running
	StatusComplete  Status = "COMPLETE"  // paid and fully produced
	StatusFailed    Status = "FAILED"    // paid, production failed after retries
	StatusRefused   Status = "REFUSED"   // the payment provider refused the payment
	StatusPayback   Status = "PAYBACK"   // refund due or in progress
	StatusCancelled Status = "CANCELLED" // cancelled before payment, or after a full refund
)

// Statuses returns every status, in the order of docs/orders.md.
func Statuses() []Status {
	return []Status{StatusWorking, StatusPlaced, StatusPending, StatusPreprod, StatusPartial, StatusSoldout,
		StatusComplete, StatusFailed, StatusRefused, StatusPayback, StatusCancelled}
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	for _, x := range Statuses() {
		if s == x {
			return true
		}
	}
	return false
}

// Final reports whether s ends the normal life of an order: nothing moves
// it on by itself (a COMPLETE order may still be refunded by hand).
func (s Status) Final() bool { return s == StatusComplete || s == StatusCancelled }

// Unpaid reports whether s is a status in which no money is expected to
// have been received yet: the stock an order in such a status holds is
// released when its hold expires.
func (s Status) Unpaid() bool {
	return s == StatusPlaced || s == StatusPending || s == StatusRefused
}

// Sentinel errors of the order domain (wrapped; test with errors.Is).
var (
	// ErrTransition is returned for a status change the state machine does
	// not allow, or whose guard refuses it.
	ErrTransition = errors.New("order: transition not allowed")
	// ErrOverrideRequired is returned, with ErrTransition, for a change
	// only an actor with the override permission may make.
	ErrOverrideRequired = errors.New("order: needs the override permission")
	// ErrSoldOut is returned when a product has not enough stock left for
	// an order; see SoldOutError for which product.
	ErrSoldOut = errors.New("order: sold out")
)

// SoldOutError names the product whose stock ran out. It matches ErrSoldOut
// with errors.Is.
type SoldOutError struct {
	Code string // product code (a bundle element's own code when the element ran out)
}

func (e *SoldOutError) Error() string { return fmt.Sprintf("order: %s: sold out", e.Code) }

// Is makes errors.Is(err, ErrSoldOut) hold.
func (e *SoldOutError) Is(target error) bool { return target == ErrSoldOut }

// Identity is a person or organisation as frozen on an order: the customer
// who bought, or a distinct identity to invoice. Later edits of the
// customer account never change it, so issued documents stay as issued.
type Identity struct {
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Email        string `json:"email,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Department   string `json:"department,omitempty"`
	Address      string `json:"address,omitempty"`
	Zip          string `json:"zip,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"`
	Phone        string `json:"phone,omitempty"`
	VATNumber    string `json:"vat_number,omitempty"`
}

// IsZero reports whether every field is empty.
func (i Identity) IsZero() bool { return i == Identity{} }

// Participant is a learner named by the buyer for a seat, as the
// checkout's participants step records it.
type Participant = customer.Participant

// ElementSnapshot is a bundle element as it was when the order was placed.
type ElementSnapshot struct {
	ProductID int64  `json:"product_id"`
	Code      string `json:"code"`
	Quantity  int    `json:"quantity"` // per unit of the bundle
}

// LineSnapshot freezes what was sold on a line: the product's definition
// at placement and what the buyer typed for it. Production reads it, never
// the live product, so catalogue edits do not change what was bought.
type LineSnapshot struct {
	Code          string            `json:"code"`
	Kind          catalog.Kind      `json:"kind"`
	Names         map[string]string `json:"names"` // language → product name
	Unit          money.Money       `json:"unit"`  // untaxed unit price of the applied tier
	TaxClass      string            `json:"tax_class,omitempty"`
	RateBP        int64             `json:"rate_bp"`
	Handler       string            `json:"handler,omitempty"`
	HandlerParams json.RawMessage   `json:"handler_params,omitempty"`
	SeatMode      catalog.SeatMode  `json:"seat_mode,omitempty"`
	Renewable     bool              `json:"renewable,omitempty"`
	Elements      []ElementSnapshot `json:"elements,omitempty"`
	// Answers holds the product's required data, one map per unit.
	Answers      []map[string]string `json:"answers,omitempty"`
	Participants []Participant       `json:"participants,omitempty"`
}

// Name returns the line's name in lang, else in fallback, else the code.
func (s LineSnapshot) Name(lang, fallback string) string {
	if n := s.Names[lang]; n != "" {
		return n
	}
	if n := s.Names[fallback]; n != "" {
		return n
	}
	return s.Code
}

// LineKind tells a catalogue product line from back-office lines.
type LineKind string

// Line kinds (the order_lines CHECK constraint).
const (
	LineProduct  LineKind = "product"
	LineManual   LineKind = "manual"
	LineShipping LineKind = "shipping"
	LineDiscount LineKind = "discount"
)

// Production is where a line's production stands.
type Production string

// Production statuses of a line.
const (
	ProductionPending Production = "pending"
	ProductionRunning Production = "running"
	ProductionDone    Production = "done"
	ProductionFailed  Production = "failed"
	ProductionSkipped Production = "skipped"
)

// Line is one line of an order. Its amounts come from package pricing and
// never change after placement.
type Line struct {
	ID              int64
	Position        int // 1-based, in the order of the cart
	Kind            LineKind
	ProductID       int64 // 0 once the product is deleted: the snapshot remains
	Code            string
	Quantity        int
	Unit            money.Money // untaxed unit price
	RateBP          int64
	Untaxed         money.Money // Unit × Quantity
	Tax             money.Money // rounded half-up once, on the line
	Total           money.Money // Untaxed + Tax
	Snapshot        LineSnapshot
	Production      Production
	ProductionError string
}

// RateTotal is the part of an order's totals taxed at one rate, as printed
// in the invoice's tax breakdown.
type RateTotal struct {
	RateBP  int64       `json:"rate_bp"`
	Untaxed money.Money `json:"untaxed"`
	Tax     money.Money `json:"tax"`
}

// HoldState is where units of stock held for an order stand.
type HoldState string

// Hold states. Units go held → sold when the order is paid, and held or
// sold → released when it is cancelled; each change happens once.
const (
	HoldHeld     HoldState = "held"
	HoldSold     HoldState = "sold"
	HoldReleased HoldState = "released"
)

// StockHold is stock of one limited product taken by an order (a bundle's
// elements each have their own).
type StockHold struct {
	ProductID int64
	Code      string
	Quantity  int
	State     HoldState
}

// PaymentDataPONumber is the PaymentData key of a purchase order number.
const PaymentDataPONumber = "po_number"

// Order is a placed cart: what was bought, by whom, for how much, and where
// it stands.
type Order struct {
	ID     int64
	ShopID int64
	// Number is the public order reference, e.g. "DEMO-2026-000123":
	// per shop and year, allocated at placement. It is not a credential.
	Number string
	// AccessToken is the bearer credential for the order's pages (32
	// random bytes, base64url). Only the order returned by placement
	// carries it; the database keeps AccessTokenHash alone.
	AccessToken     string
	AccessTokenHash string
	CustomerID      int64  // 0 when none
	LMSUserRef      string // the buyer's LMS account, when signed in
	Status          Status
	Currency        string
	Customer        Identity
	Invoicing       *Identity // nil: invoice the customer
	Lines           []Line
	Holds           []StockHold
	Untaxed         money.Money
	Tax             money.Money
	Total           money.Money // taxed: what the buyer pays
	Paid            money.Money // from the payments ledger: payments less refunds
	TaxBreakdown    []RateTotal // ascending rate
	PaymentMode     string
	PaymentData     map[string]string // what the payment mode asked for (e.g. po_number)
	Locale          string
	PartnerTag      string
	Test            bool   // placed while the shop was in test mode
	InvoiceNumber   string // empty until paid, then immutable
	InvoicedAt      time.Time
	PlacedAt        time.Time
	HoldExpiresAt   time.Time // when unpaid stock holds lapse; zero when none
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// PONumber returns the purchase order number the buyer gave, if any.
func (o *Order) PONumber() string { return o.PaymentData[PaymentDataPONumber] }

// InvoiceIdentity returns who the invoice is made out to.
func (o *Order) InvoiceIdentity() Identity {
	if o.Invoicing != nil && !o.Invoicing.IsZero() {
		return *o.Invoicing
	}
	return o.Customer
}

// PaidInFull reports whether the ledger covers the total.
func (o *Order) PaidInFull() bool { return o.Paid.Amount() >= o.Total.Amount() }

// Due returns what remains to be paid (never negative).
func (o *Order) Due() money.Money {
	d, err := o.Total.Sub(o.Paid)
	if err != nil || d.IsNegative() {
		z, _ := money.Zero(o.Total.Currency())
		return z
	}
	return d
}

// Produced reports whether every line is produced (or needs no
// production).
func (o *Order) Produced() bool {
	for _, l := range o.Lines {
		if l.Production != ProductionDone && l.Production != ProductionSkipped {
			return false
		}
	}
	return true
}

// ProductionFailed reports whether a line's production failed.
func (o *Order) ProductionFailed() bool {
	for _, l := range o.Lines {
		if l.Production == ProductionFailed {
			return true
		}
	}
	return false
}
