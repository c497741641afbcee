// Package payment defines payment modes and the registry that decides
// which of them a buyer may use. A mode says whether it is offline, when it
// is eligible, what the buyer must be told (as data, never HTML) and what it
// asks the buyer for. The registry is the server-side whitelist: the mode a
// buyer posts is checked against it, with the total recomputed by the
// server, so that nobody gets an order for free by choosing "free" or
// "test" (reference weakness §11.1).
package payment

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/order"
)

// Names of the built-in modes, as shops list them in payment_modes.
const (
	ModeCheck         = "check"
	ModeTransfer      = "transfer"
	ModePurchaseOrder = "purchase_order"
	ModeFree          = "free"
	ModeTest          = "test"
)

// ErrModeNotAllowed is returned when a buyer chooses a mode the shop does
// not offer them for this order.
var ErrModeNotAllowed = errors.New("payment: mode not allowed")

// ErrInvalidInput is returned (as an *InputError) when what the buyer typed
// for a mode is incomplete or wrong.
var ErrInvalidInput = errors.New("payment: invalid payment details")

// Problem is one invalid field of a mode's form: Field names the form
// field, Key the i18n message explaining it (as in package customer).
type Problem struct {
	Field string
	Key   string
}

// InputError lists what is wrong with the details typed for a mode.
type InputError struct {
	Mode     string
	Problems []Problem
}

func (e *InputError) Error() string {
	fields := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		fields[i] = p.Field + ": " + p.Key
	}
	return fmt.Sprintf("payment: %s: %s", e.Mode, strings.Join(fields, ", "))
}

// Is makes errors.Is(err, ErrInvalidInput) hold.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// ModeContext is what eligibility depends on.
type ModeContext struct {
	Shop     *catalog.Shop
	SignedIn bool // the buyer is signed in (guests get Shop.GuestPaymentModes)
	Admin    bool // the buyer is a back-office administrator
	// Total is the order's taxed total as the server computed it, in the
	// shop's currency. A total in another currency (or the zero Money)
	// makes no mode eligible.
	Total money.Money
}

// Field is one piece of information of payment instructions. Name is a
// stable key the web layer turns into a localised label.
type Field struct {
	Name  string
	Value string
}

// Instruction kinds.
const (
	KindCheck         = "check"          // send a check to an address
	KindTransfer      = "transfer"       // make a bank transfer quoting a reference
	KindPurchaseOrder = "purchase_order" // the organisation pays on its purchase order
	KindNone          = "none"           // nothing to pay
	KindTest          = "test"           // simulated payment
)

// Instructions tell the buyer how to pay, for the payment page, the
// confirmation mail and the invoice. They are data: the web layer renders
// and escapes them.
type Instructions struct {
	Mode      string
	Kind      string
	Amount    money.Money // what is still due
	Reference string      // to quote with the payment: the order number
	Fields    []Field     // mode-specific: payee, address, bank details, PO number…
}

// Mode is a way of paying.
type Mode interface {
	// Name is the mode's name in shop settings ("check", "transfer"…).
	Name() string
	// Offline reports whether the payment happens outside the shop and
	// the order waits in PENDING until someone records it.
	Offline() bool
	// Eligible reports whether the mode may be used in ctx, besides being
	// enabled by the shop.
	Eligible(ctx ModeContext) bool
	// Instructions returns what the buyer of o must be told. lang chooses
	// localised seller details once shops have them; today they are not
	// localised and lang is unused by the built-in modes.
	Instructions(o *order.Order, shop *catalog.Shop, lang string) Instructions
	// ValidateInput checks what the buyer typed in the mode's fields and
	// returns the normalised values to keep on the order (PaymentData),
	// or the problems. Unknown fields are ignored.
	ValidateInput(form map[string]string) (map[string]string, []Problem)
}

// Registry holds the payment modes the program knows. It is built once at
// start-up and only read afterwards.
type Registry struct {
	modes map[string]Mode
}

// NewRegistry returns a registry of modes. Two modes with one name, or a
// mode without a name, are programming errors and panic.
func NewRegistry(modes ...Mode) *Registry {
	r := &Registry{modes: make(map[string]Mode, len(modes))}
	for _, m := range modes {
		name := m.Name()
		if name == "" {
			panic("payment: mode without a name")
		}
		if _, dup := r.modes[name]; dup {
			panic("payment: mode " + name + " registered twice")
		}
		r.modes[name] = m
	}
	return r
}

// Builtin returns the modes that need no payment provider: check, transfer,
// purchase_order, free and test.
func Builtin() []Mode {
	return []Mode{Check{}, Transfer{}, PurchaseOrder{}, Free{}, Test{}}
}

// Mode returns the registered mode called name.
func (r *Registry) Mode(name string) (Mode, bool) {
	m, ok := r.modes[name]
	return m, ok
}

// Offered returns the modes a buyer may choose in ctx, in the shop's order:
// those the shop enables for this buyer (Shop.PaymentModes when signed in,
// Shop.GuestPaymentModes otherwise) that are registered and eligible.
func (r *Registry) Offered(ctx ModeContext) []Mode {
	if !contextValid(ctx) {
		return nil
	}
	names := ctx.Shop.GuestPaymentModes
	if ctx.SignedIn {
		names = ctx.Shop.PaymentModes
	}
	// An administrator trying the shop is often not signed in to its LMS:
	// the shop's test mode is theirs whatever the guest list says.
	if ctx.Admin && !slices.Contains(names, ModeTest) && slices.Contains(ctx.Shop.PaymentModes, ModeTest) {
		names = append(slices.Clip(names), ModeTest)
	}
	var out []Mode
	var seen []string
	for _, name := range names {
		m, ok := r.modes[name]
		if !ok || slices.Contains(seen, name) || !m.Eligible(ctx) {
			continue
		}
		seen = append(seen, name)
		out = append(out, m)
	}
	return out
}

// Check returns mode name when Offered(ctx) includes it, and an error
// wrapping ErrModeNotAllowed otherwise. The server calls it when the order
// is placed, whatever the page offered.
func (r *Registry) Check(name string, ctx ModeContext) (Mode, error) {
	for _, m := range r.Offered(ctx) {
		if m.Name() == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrModeNotAllowed, name)
}

// contextValid refuses contexts that would make eligibility meaningless:
// no shop, or a total that is not in the shop's currency (the zero Money
// in particular, which would otherwise look like a free order).
func contextValid(ctx ModeContext) bool {
	return ctx.Shop != nil && ctx.Total.Currency() != "" && ctx.Total.Currency() == ctx.Shop.Currency
}
