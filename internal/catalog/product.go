package catalog

import (
	"encoding/json"
	"errors"
	"time"

	"courseshop/internal/money"
)

// Kind tells a plain product from a set (a showcase of products bought
// individually) and a bundle (elements sold together as one line).
type Kind string

// Kinds of product.
const (
	KindProduct Kind = "product"
	KindSet     Kind = "set"
	KindBundle  Kind = "bundle"
)

// Status is where a product stands in its sales life.
type Status string

// Product statuses.
const (
	StatusPreview    Status = "preview"    // shown, not yet sold
	StatusAvailable  Status = "available"  // on sale
	StatusInternal   Status = "internal"   // sold by the back office only
	StatusComplement Status = "complement" // only as a complement of an owned product (renewal)
	StatusSuspended  Status = "suspended"
	StatusExhausted  Status = "exhausted"
)

// Audience is who may buy a product.
type Audience string

// Audiences.
const (
	AudienceEveryone  Audience = "everyone"
	AudienceSignedIn  Audience = "signed_in"
	AudienceCustomers Audience = "customers" // signed in and already a customer
	AudienceGuests    Audience = "guests"    // visitors who are not signed in
)

// SeatMode tells whether buying the product yields course seats.
type SeatMode string

// Seat modes.
const (
	SeatNone    SeatMode = "none"
	SeatOne     SeatMode = "one"      // one seat whatever the quantity
	SeatPerUnit SeatMode = "per_unit" // one seat per unit bought
)

// Tier is one step of a product's volume pricing: Unit is the price of each
// unit when the whole quantity is at most UpTo (0 means no bound).
type Tier struct {
	UpTo int
	Unit money.Money
}

// Element is a product inside a set or bundle.
type Element struct {
	ProductID int64
	Quantity  int
}

// Product is a sellable definition.
type Product struct {
	ID             int64
	CatalogID      int64
	CategoryID     int64 // 0 when uncategorised
	Code           string
	Kind           Kind
	Status         Status
	Audience       Audience
	TaxClassID     int64 // 0 when untaxed
	MaxQuantity    int   // per order; 0 means no limit
	PasscodeHash   string
	SeatMode       SeatMode
	Renewable      bool
	StockLimit     int // 0 means unlimited
	StockHeld      int
	StockSold      int
	Featured       bool
	SortOrder      int
	Thumbnail      string
	Picture        string
	Leaflet        string
	RequiredFields []Field
	Handler        string
	HandlerParams  json.RawMessage
	ProductionData json.RawMessage
	Texts          Texts
	Prices         []Tier // per currency, in increasing tier order
	Elements       []Element
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ErrNoPrice is returned when a product has no price in a currency.
var ErrNoPrice = errors.New("catalog: no price in this currency")

// Tiers returns the product's tiers in currency, in order.
func (p *Product) Tiers(currency string) []Tier {
	var ts []Tier
	for _, t := range p.Prices {
		if t.Unit.Currency() == currency {
			ts = append(ts, t)
		}
	}
	return ts
}

// UnitPrice returns the untaxed unit price for an order of qty units: the
// first tier whose bound holds the whole quantity applies to every unit
// (volume pricing, not graduated). Beyond the last bound, the last tier
// applies.
func (p *Product) UnitPrice(currency string, qty int) (money.Money, error) {
	ts := p.Tiers(currency)
	if len(ts) == 0 {
		return money.Money{}, ErrNoPrice
	}
	for _, t := range ts {
		if t.UpTo == 0 || qty <= t.UpTo {
			return t.Unit, nil
		}
	}
	return ts[len(ts)-1].Unit, nil
}
