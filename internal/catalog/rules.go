package catalog

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
// country's own rate, else the "*" rate, else 0. A nil class is untaxed.
func (tc *TaxClass) RateFor(country string) int64 {
	if tc == nil {
		return 0
	}
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
