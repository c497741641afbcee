package catalog

import "fmt"

// Refusal is why a product cannot be put in a cart. Reason is a stable
// identifier; the web layer turns it into a localised message.
type Refusal struct {
	Code   string // the product
	Reason Reason
	Limit  int // the bound that was exceeded, for quantity reasons
}

// Reason identifies a sales rule.
type Reason string

// Reasons a purchase is refused.
const (
	ReasonUnknown            Reason = "unknown_product"     // no such code in this shop
	ReasonNotForSale         Reason = "not_for_sale"        // preview
	ReasonUnavailable        Reason = "unavailable"         // internal, suspended
	ReasonComplementOnly     Reason = "complement_only"     // complement, outside a renewal
	ReasonSoldOut            Reason = "sold_out"            // exhausted, or no stock left
	ReasonStockLeft          Reason = "stock_left"          // fewer units left than asked
	ReasonMaxQuantity        Reason = "max_quantity"        // more than allowed per order
	ReasonBadQuantity        Reason = "bad_quantity"        // not a positive number
	ReasonSignInRequired     Reason = "sign_in_required"    // audience signed_in
	ReasonCustomersOnly      Reason = "customers_only"      // audience customers
	ReasonGuestsOnly         Reason = "guests_only"         // audience guests
	ReasonPasscodeRequired   Reason = "passcode_required"   // passcode not entered for this cart
	ReasonSetNotBuyable      Reason = "set_not_buyable"     // a set is bought element by element
	ReasonElementUnavailable Reason = "element_unavailable" // a bundle element cannot be sold
	ReasonNoPrice            Reason = "no_price"            // no price in the shop's currency
)

func (r *Refusal) Error() string {
	if r.Limit > 0 {
		return fmt.Sprintf("catalog: %s: %s (limit %d)", r.Code, r.Reason, r.Limit)
	}
	return fmt.Sprintf("catalog: %s: %s", r.Code, r.Reason)
}

// StockLeft returns how many units can still be sold, and false when the
// stock is unlimited.
func (p *Product) StockLeft() (int, bool) {
	if p.StockLimit == 0 {
		return 0, false
	}
	return max(0, p.StockLimit-p.StockHeld-p.StockSold), true
}

// Purchase is a request to have qty units of a product in a cart.
type Purchase struct {
	Visitor  Visitor
	Quantity int
	Unlocked bool // the cart holds the product's passcode
	// Complement is true when the cart got the product from the renewal
	// of a product its holder owns: complement-only products sell so.
	Complement bool
	Currency   string // the shop's
	// Elements are the bundle's element products, by ID.
	Elements map[int64]*Product
}

// CheckPurchase applies every sales rule to buying p as described, and
// returns a *Refusal naming the first rule that fails. The server calls it
// on every cart change; what the page shows is only a courtesy.
func (p *Product) CheckPurchase(b Purchase) error {
	refuse := func(r Reason, limit int) error { return &Refusal{Code: p.Code, Reason: r, Limit: limit} }
	if b.Quantity <= 0 {
		return refuse(ReasonBadQuantity, 0)
	}
	if p.Kind == KindSet {
		return refuse(ReasonSetNotBuyable, 0)
	}
	switch p.Status {
	case StatusAvailable:
	case StatusPreview:
		return refuse(ReasonNotForSale, 0)
	case StatusExhausted:
		return refuse(ReasonSoldOut, 0)
	case StatusComplement:
		if !b.Complement {
			return refuse(ReasonComplementOnly, 0)
		}
	default:
		return refuse(ReasonUnavailable, 0)
	}
	switch {
	case p.Audience == AudienceSignedIn && !b.Visitor.SignedIn:
		return refuse(ReasonSignInRequired, 0)
	case p.Audience == AudienceCustomers && !b.Visitor.Customer:
		return refuse(ReasonCustomersOnly, 0)
	case p.Audience == AudienceGuests && b.Visitor.SignedIn:
		return refuse(ReasonGuestsOnly, 0)
	}
	if p.PasscodeHash != "" && !b.Unlocked {
		return refuse(ReasonPasscodeRequired, 0)
	}
	if len(p.Tiers(b.Currency)) == 0 {
		return refuse(ReasonNoPrice, 0)
	}
	if p.MaxQuantity > 0 && b.Quantity > p.MaxQuantity {
		return refuse(ReasonMaxQuantity, p.MaxQuantity)
	}
	if left, limited := p.StockLeft(); limited {
		if left == 0 {
			return refuse(ReasonSoldOut, 0)
		}
		if b.Quantity > left {
			return refuse(ReasonStockLeft, left)
		}
	}
	if p.Kind == KindBundle {
		for _, e := range p.Elements {
			ep := b.Elements[e.ProductID]
			if ep == nil || (ep.Status != StatusAvailable && ep.Status != StatusInternal) {
				return refuse(ReasonElementUnavailable, 0)
			}
			if left, limited := ep.StockLeft(); limited && b.Quantity*e.Quantity > left {
				return refuse(ReasonElementUnavailable, 0)
			}
		}
	}
	return nil
}
