package customer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContactValidate(t *testing.T) {
	ok := Contact{Email: " Ann@Example.com ", FirstName: " Ann ", LastName: "Martin", Country: "fr"}
	ok.Normalize()
	if ps := ok.Validate(false); len(ps) != 0 || ok.Email != "Ann@Example.com" || ok.Country != "FR" || ok.FirstName != "Ann" {
		t.Errorf("valid contact: %v %+v", ps, ok)
	}
	if ps := ok.Validate(true); !cmp.Equal(ps, []Problem{{"organisation", "form.required"}}) {
		t.Errorf("organisation required: %v", ps)
	}
	bad := Contact{Email: "not-an-email", LastName: strings.Repeat("x", 101), Country: "XX", Phone: "1\n2"}
	want := []Problem{{"email", "form.email_invalid"}, {"first_name", "form.required"}, {"last_name", "form.too_long"},
		{"phone", "form.one_line"}, {"country", "form.country_invalid"}}
	if diff := cmp.Diff(want, bad.Validate(false)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestInvoicingValidate(t *testing.T) {
	inv := Invoicing{Organisation: "Acme", Address: "1 rue X", City: "Paris", Country: "fr", VATNumber: "fr 12 345678901"}
	inv.Normalize()
	if ps := inv.Validate(); len(ps) != 0 || inv.VATNumber != "FR12345678901" {
		t.Errorf("valid invoicing: %v %+v", ps, inv)
	}
	bad := Invoicing{Email: "x@", Country: "ZZ", VATNumber: "12"}
	want := []Problem{{"inv_organisation", "form.invoicing_who"}, {"inv_address", "form.required"}, {"inv_city", "form.required"},
		{"inv_country", "form.country_invalid"}, {"inv_email", "form.email_invalid"}, {"inv_vat_number", "form.vat_invalid"}}
	if diff := cmp.Diff(want, bad.Validate()); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestIsCountry(t *testing.T) {
	for s, want := range map[string]bool{"FR": true, "CH": true, "US": true, "ZZ": false, "EU": false, "F": false, "FRA": false, "001": false} {
		if got := IsCountry(s); got != want {
			t.Errorf("IsCountry(%q) = %v", s, got)
		}
	}
}
