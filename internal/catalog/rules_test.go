package catalog

import (
	"errors"
	"testing"

	"courseshop/internal/money"
)

func eurT(minor int64) money.Money {
	m, err := money.New(minor, "EUR")
	if err != nil {
		panic(err)
	}
	return m
}

func TestListed(t *testing.T) {
	guest, member, customer := Visitor{}, Visitor{SignedIn: true}, Visitor{SignedIn: true, Customer: true}
	for _, tc := range []struct {
		status   Status
		audience Audience
		want     [3]bool // guest, signed in, customer
	}{
		{StatusAvailable, AudienceEveryone, [3]bool{true, true, true}},
		{StatusPreview, AudienceEveryone, [3]bool{true, true, true}},
		{StatusAvailable, AudienceSignedIn, [3]bool{false, true, true}},
		{StatusAvailable, AudienceCustomers, [3]bool{false, false, true}},
		{StatusAvailable, AudienceGuests, [3]bool{true, false, false}},
		{StatusInternal, AudienceEveryone, [3]bool{}},
		{StatusComplement, AudienceEveryone, [3]bool{}},
		{StatusSuspended, AudienceEveryone, [3]bool{}},
		{StatusExhausted, AudienceEveryone, [3]bool{}},
		{StatusAvailable, "martians", [3]bool{}},
	} {
		p := &Product{Status: tc.status, Audience: tc.audience}
		for i, v := range []Visitor{guest, member, customer} {
			if got := p.Listed(v); got != tc.want[i] {
				t.Errorf("%s/%s for %+v: Listed = %v", tc.status, tc.audience, v, got)
			}
		}
	}
}

func TestUnitPrice(t *testing.T) {
	p := &Product{Prices: []Tier{{UpTo: 1, Unit: eurT(10000)}, {UpTo: 5, Unit: eurT(9000)}, {UpTo: 10, Unit: eurT(8000)}}}
	for qty, want := range map[int]int64{1: 10000, 2: 9000, 5: 9000, 6: 8000, 10: 8000, 11: 8000} {
		got, err := p.UnitPrice("EUR", qty)
		if err != nil || got.Amount() != want {
			t.Errorf("UnitPrice(%d) = %v, %v; want %d", qty, got, err, want)
		}
	}
	open := &Product{Prices: []Tier{{UpTo: 2, Unit: eurT(500)}, {UpTo: 0, Unit: eurT(400)}}}
	if got, _ := open.UnitPrice("EUR", 1000); got.Amount() != 400 {
		t.Errorf("unbounded last tier: %v", got)
	}
	if _, err := p.UnitPrice("CHF", 1); !errors.Is(err, ErrNoPrice) {
		t.Errorf("other currency: err = %v", err)
	}
}

func TestRateFor(t *testing.T) {
	vat := &TaxClass{Rates: []TaxRate{{Country: "FR", RateBP: 2000}, {Country: "CH", RateBP: 810}, {Country: "*", RateBP: 1000}}}
	for country, want := range map[string]int64{"FR": 2000, "CH": 810, "DE": 1000, "": 1000} {
		if got := vat.RateFor(country); got != want {
			t.Errorf("RateFor(%q) = %d, want %d", country, got, want)
		}
	}
	if got := (&TaxClass{Rates: []TaxRate{{Country: "FR", RateBP: 2000}}}).RateFor("DE"); got != 0 {
		t.Errorf("no fallback rate: %d", got)
	}
	var none *TaxClass
	if got := none.RateFor("FR"); got != 0 {
		t.Errorf("nil class: %d", got)
	}
}
