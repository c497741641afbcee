package catalog

import (
	"errors"
	"testing"
)

func TestCheckPurchase(t *testing.T) {
	priced := func(p Product) *Product {
		p.Code = "P"
		if p.Kind == "" {
			p.Kind = KindProduct
		}
		if p.Status == "" {
			p.Status = StatusAvailable
		}
		if p.Audience == "" {
			p.Audience = AudienceEveryone
		}
		p.Prices = []Tier{{Unit: eurT(100)}}
		return &p
	}
	elemOK := &Product{ID: 10, Code: "E1", Status: StatusAvailable}
	elemInternal := &Product{ID: 11, Code: "E2", Status: StatusInternal, StockLimit: 5, StockSold: 1}
	elemGone := &Product{ID: 12, Code: "E3", Status: StatusSuspended}
	elements := map[int64]*Product{10: elemOK, 11: elemInternal, 12: elemGone}
	guest, member, customer := Visitor{}, Visitor{SignedIn: true}, Visitor{SignedIn: true, Customer: true}
	for _, tc := range []struct {
		name  string
		p     *Product
		b     Purchase
		want  Reason
		limit int
	}{
		{"plain", priced(Product{}), Purchase{Quantity: 3}, "", 0},
		{"zero quantity", priced(Product{}), Purchase{Quantity: 0}, ReasonBadQuantity, 0},
		{"negative quantity", priced(Product{}), Purchase{Quantity: -2}, ReasonBadQuantity, 0},
		{"set", priced(Product{Kind: KindSet}), Purchase{Quantity: 1}, ReasonSetNotBuyable, 0},
		{"preview", priced(Product{Status: StatusPreview}), Purchase{Quantity: 1}, ReasonNotForSale, 0},
		{"internal", priced(Product{Status: StatusInternal}), Purchase{Quantity: 1}, ReasonUnavailable, 0},
		{"complement", priced(Product{Status: StatusComplement}), Purchase{Quantity: 1}, ReasonComplementOnly, 0},
		{"complement of a renewal", priced(Product{Status: StatusComplement}), Purchase{Quantity: 1, Complement: true}, "", 0},
		{"complement of a renewal, guests only", priced(Product{Status: StatusComplement, Audience: AudienceGuests}), Purchase{Visitor: member, Quantity: 1, Complement: true}, ReasonGuestsOnly, 0},
		{"suspended, renewal flag", priced(Product{Status: StatusSuspended}), Purchase{Quantity: 1, Complement: true}, ReasonUnavailable, 0},
		{"suspended", priced(Product{Status: StatusSuspended}), Purchase{Quantity: 1}, ReasonUnavailable, 0},
		{"exhausted", priced(Product{Status: StatusExhausted}), Purchase{Quantity: 1}, ReasonSoldOut, 0},
		{"signed in only, guest", priced(Product{Audience: AudienceSignedIn}), Purchase{Visitor: guest, Quantity: 1}, ReasonSignInRequired, 0},
		{"signed in only, member", priced(Product{Audience: AudienceSignedIn}), Purchase{Visitor: member, Quantity: 1}, "", 0},
		{"customers only, member", priced(Product{Audience: AudienceCustomers}), Purchase{Visitor: member, Quantity: 1}, ReasonCustomersOnly, 0},
		{"customers only, customer", priced(Product{Audience: AudienceCustomers}), Purchase{Visitor: customer, Quantity: 1}, "", 0},
		{"guests only, member", priced(Product{Audience: AudienceGuests}), Purchase{Visitor: member, Quantity: 1}, ReasonGuestsOnly, 0},
		{"passcode locked", priced(Product{PasscodeHash: "$x"}), Purchase{Quantity: 1}, ReasonPasscodeRequired, 0},
		{"passcode unlocked", priced(Product{PasscodeHash: "$x"}), Purchase{Quantity: 1, Unlocked: true}, "", 0},
		{"max quantity", priced(Product{MaxQuantity: 2}), Purchase{Quantity: 3}, ReasonMaxQuantity, 2},
		{"at max quantity", priced(Product{MaxQuantity: 2}), Purchase{Quantity: 2}, "", 0},
		{"stock left", priced(Product{StockLimit: 10, StockHeld: 4, StockSold: 3}), Purchase{Quantity: 4}, ReasonStockLeft, 3},
		{"last units", priced(Product{StockLimit: 10, StockHeld: 4, StockSold: 3}), Purchase{Quantity: 3}, "", 0},
		{"no stock", priced(Product{StockLimit: 10, StockHeld: 4, StockSold: 6}), Purchase{Quantity: 1}, ReasonSoldOut, 0},
		{"bundle ok", priced(Product{Kind: KindBundle, Elements: []Element{{10, 1}, {11, 2}}}), Purchase{Quantity: 2, Elements: elements}, "", 0},
		{"bundle element stock", priced(Product{Kind: KindBundle, Elements: []Element{{10, 1}, {11, 2}}}), Purchase{Quantity: 3, Elements: elements}, ReasonElementUnavailable, 0},
		{"bundle element suspended", priced(Product{Kind: KindBundle, Elements: []Element{{10, 1}, {12, 1}}}), Purchase{Quantity: 1, Elements: elements}, ReasonElementUnavailable, 0},
		{"bundle element missing", priced(Product{Kind: KindBundle, Elements: []Element{{99, 1}}}), Purchase{Quantity: 1, Elements: elements}, ReasonElementUnavailable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.b.Currency == "" {
				tc.b.Currency = "EUR"
			}
			err := tc.p.CheckPurchase(tc.b)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.Reason != tc.want || r.Limit != tc.limit {
				t.Fatalf("err = %v, want %s (limit %d)", err, tc.want, tc.limit)
			}
		})
	}
	if err := priced(Product{}).CheckPurchase(Purchase{Quantity: 1, Currency: "CHF"}); err == nil {
		t.Error("product without a CHF price sold in CHF")
	}
}
