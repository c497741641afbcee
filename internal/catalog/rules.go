package catalog

import "courseshop/internal/money"

// Visitor is who is looking at the catalogue, as far as sales rules care.
type Visitor struct {
	SignedIn bool
	Customer bool // signed in and already a customer of the shop
}

// Listed reports whether the storefront lists p for v: its status must put
// it on show and its audience must include v.
func (p *Product) Listed(v Visitor) bool {
	if p.Status != StatusAvailable && p.Status != StatusPreview {
		return false
	}
	switch p.Audience {
	case AudienceEveryone:
		return true
	case AudienceSignedIn:
		return v.SignedIn
	case AudienceCustomers:
		return v.SignedIn && v.Customer
	case AudienceGuests:
		return !v.SignedIn
	}
	return false
}

// RateFor returns the rate in basis points that applies in country: the
// country's own rate, else the "*" rate, else 0.
func (tc *TaxClass) RateFor(country string) int64 {
	var fallback int64
	for _, r := range tc.Rates {
		if r.Country == country {
			return r.RateBP
		}
		if r.Country == "*" {
			fallback = r.RateBP
		}
	}
	return fallback
}

// Taxed returns untaxed plus its tax at the class's rate in country, with
// the tax rounded half-up on the amount given (the project rounds per line).
// A nil class means untaxed. This is the one place where the shop turns an
// untaxed price into a taxed one.
func (tc *TaxClass) Taxed(untaxed money.Money, country string) (money.Money, error) {
	if tc == nil {
		return untaxed, nil
	}
	tax, err := untaxed.ApplyRate(tc.RateFor(country))
	if err != nil {
		return money.Money{}, err
	}
	return untaxed.Add(tax)
}
