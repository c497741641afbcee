package order

import (
	"reflect"
	"testing"
)

// TestErasePersonalData: an order without invoice keeps nothing of its
// customer; an invoiced one keeps the invoice mentions of the identity
// its invoice is made out to, and only those.
func TestErasePersonalData(t *testing.T) {
	buyer := Identity{FirstName: "Ann", LastName: "Martin", Email: "ann@example.com", Organisation: "Acme", Address: "1 rue A",
		Zip: "75001", City: "Paris", Country: "FR", Phone: "+33 1 00 00 00 00", VATNumber: "FR00123456789"}
	payer := Identity{Organisation: "Acme Holding", Department: "Training", LastName: "Bills", Email: "bills@example.com",
		Address: "2 rue B", Zip: "69001", City: "Lyon", Country: "FR", Phone: "+33 4 00 00 00 00", VATNumber: "FR99999999999"}
	mentions := func(i Identity) Identity { i.Email, i.Phone = "", ""; return i }
	for _, tc := range []struct {
		name          string
		invoice       string
		test          bool
		invoicing     *Identity
		wantCustomer  Identity
		wantInvoicing *Identity
	}{
		{"no invoice", "", false, nil, Identity{}, nil},
		{"no invoice, distinct invoicing identity", "", false, &payer, Identity{}, nil},
		{"test invoice", "TEST-F2026-000001", true, &payer, Identity{}, nil},
		{"invoiced to the buyer", "F2026-000001", false, nil, mentions(buyer), nil},
		{"invoiced to a distinct identity", "F2026-000002", false, &payer, Identity{}, &Identity{Organisation: "Acme Holding", Department: "Training",
			LastName: "Bills", Address: "2 rue B", Zip: "69001", City: "Lyon", Country: "FR", VATNumber: "FR99999999999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fixture(t, StatusComplete, 10000, ProductionDone)
			o.InvoiceNumber, o.Test, o.Customer, o.LMSUserRef = tc.invoice, tc.test, buyer, "42"
			if tc.invoicing != nil {
				inv := *tc.invoicing
				o.Invoicing = &inv
			}
			o.PaymentData = map[string]string{PaymentDataPONumber: "PO-7"}
			o.Lines[0].Snapshot = LineSnapshot{Code: "X", Names: map[string]string{"en": "X course"},
				Answers: []map[string]string{{"birth_date": "1990-01-01"}}, Participants: []Participant{{FirstName: "Léa", Email: "lea@example.com"}}}
			o.ErasePersonalData()
			if o.Customer != tc.wantCustomer || !reflect.DeepEqual(o.Invoicing, tc.wantInvoicing) {
				t.Errorf("customer %+v, invoicing %+v; want %+v, %+v", o.Customer, o.Invoicing, tc.wantCustomer, tc.wantInvoicing)
			}
			if s := o.Lines[0].Snapshot; s.Answers != nil || s.Participants != nil || s.Names["en"] != "X course" {
				t.Errorf("line snapshot %+v", s)
			}
			if o.LMSUserRef != "" || o.Number != "T-2026-000007" || o.InvoiceNumber != tc.invoice || o.PONumber() != "PO-7" || o.Total != eur(t, 10000) {
				t.Errorf("erasure changed the record of the sale: %+v", o)
			}
		})
	}
}
