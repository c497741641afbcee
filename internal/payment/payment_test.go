package payment_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/order"
	"courseshop/internal/payment"
)

func eur(t testing.TB, minor int64) money.Money {
	t.Helper()
	m, err := money.New(minor, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func shop() *catalog.Shop {
	return &catalog.Shop{ID: 1, Code: "demo", Currency: "EUR",
		PaymentModes:      []string{"test", "transfer", "check", "purchase_order", "free", "stripe", "check"},
		GuestPaymentModes: []string{"check", "free", "test"},
		Seller:            catalog.Seller{Name: "Demo SAS", Address: "1 rue X, Paris", Email: "sales@demo.test", BankDetails: "IBAN FR76 0000"}}
}

func names(ms []payment.Mode) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name()
	}
	return out
}

func TestOffered(t *testing.T) {
	reg := payment.NewRegistry(payment.Builtin()...)
	live := shop()
	testShop := shop()
	testShop.TestMode = true
	openTest := shop()
	openTest.TestMode, openTest.TestForEveryone = true, true
	adminOnlyTest := shop()
	adminOnlyTest.TestMode, adminOnlyTest.GuestPaymentModes = true, []string{"check"}
	noBank := shop()
	noBank.Seller.BankDetails, noBank.Seller.Address = "", ""
	tests := []struct {
		name string
		ctx  payment.ModeContext
		want []string
	}{
		{"signed in, shop order, unknown and repeated names skipped", payment.ModeContext{Shop: live, SignedIn: true, Total: eur(t, 1000)},
			[]string{"transfer", "check", "purchase_order"}},
		{"guest gets the guest list", payment.ModeContext{Shop: live, Total: eur(t, 1000)}, []string{"check"}},
		{"free only at zero", payment.ModeContext{Shop: live, SignedIn: true, Total: eur(t, 0)}, []string{"free"}},
		{"guest at zero", payment.ModeContext{Shop: live, Total: eur(t, 0)}, []string{"free"}},
		{"test mode: admins only", payment.ModeContext{Shop: testShop, SignedIn: true, Admin: true, Total: eur(t, 1000)},
			[]string{"test", "transfer", "check", "purchase_order"}},
		{"test mode: not for other buyers", payment.ModeContext{Shop: testShop, SignedIn: true, Total: eur(t, 1000)},
			[]string{"transfer", "check", "purchase_order"}},
		{"test mode: an admin not signed in to the LMS gets it beyond the guest list", payment.ModeContext{Shop: adminOnlyTest, Admin: true, Total: eur(t, 1000)},
			[]string{"check", "test"}},
		{"test mode: guests keep the guest list", payment.ModeContext{Shop: adminOnlyTest, Total: eur(t, 1000)}, []string{"check"}},
		{"test for everyone", payment.ModeContext{Shop: openTest, Total: eur(t, 1000)}, []string{"check", "test"}},
		{"live shop never offers test, even to admins", payment.ModeContext{Shop: live, SignedIn: true, Admin: true, Total: eur(t, 1000)},
			[]string{"transfer", "check", "purchase_order"}},
		{"no bank details, no address", payment.ModeContext{Shop: noBank, SignedIn: true, Total: eur(t, 1000)}, []string{"purchase_order"}},
		{"zero Money is not a zero total", payment.ModeContext{Shop: live, SignedIn: true}, nil},
		{"no shop", payment.ModeContext{SignedIn: true, Total: eur(t, 0)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(reg.Offered(tt.ctx)); !slices.Equal(got, tt.want) {
				t.Errorf("Offered = %v, want %v", got, tt.want)
			}
		})
	}
	usd, err := money.New(0, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Offered(payment.ModeContext{Shop: live, SignedIn: true, Total: usd}); len(got) != 0 {
		t.Errorf("a USD total in a EUR shop gets %v", names(got))
	}
}

func TestCheck(t *testing.T) {
	reg := payment.NewRegistry(payment.Builtin()...)
	ctx := payment.ModeContext{Shop: shop(), SignedIn: true, Total: eur(t, 1000)}
	if m, err := reg.Check("transfer", ctx); err != nil || m.Name() != "transfer" {
		t.Errorf("Check(transfer) = %v, %v", m, err)
	}
	for _, name := range []string{"free", "test", "stripe", "", "nope"} {
		if _, err := reg.Check(name, ctx); !errors.Is(err, payment.ErrModeNotAllowed) {
			t.Errorf("Check(%q) = %v, want ErrModeNotAllowed", name, err)
		}
	}
	guest := ctx
	guest.SignedIn = false
	if _, err := reg.Check("transfer", guest); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("guest got transfer: %v", err)
	}
	// A registry only knows what it was given.
	small := payment.NewRegistry(payment.Check{})
	if _, err := small.Check("transfer", ctx); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("unregistered mode allowed: %v", err)
	}
	if _, ok := small.Mode("check"); !ok {
		t.Error("Mode(check)")
	}
}

func TestNewRegistryRefusesDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two modes named check accepted")
		}
	}()
	payment.NewRegistry(payment.Check{}, payment.Check{})
}

func TestValidateInput(t *testing.T) {
	po := payment.PurchaseOrder{}
	tests := []struct {
		in      string
		want    string
		problem string
	}{
		{"  PO-2026-42 ", "PO-2026-42", ""},
		{"", "", "form.required"},
		{"   ", "", "form.required"},
		{strings.Repeat("x", 65), "", "form.too_long"},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), ""},
		{"PO\n1", "", "form.pattern"},
	}
	for _, tt := range tests {
		data, problems := po.ValidateInput(map[string]string{"po_number": tt.in, "other": "ignored"})
		if tt.problem != "" {
			if len(problems) != 1 || problems[0].Key != tt.problem || problems[0].Field != "po_number" {
				t.Errorf("%q: problems %v, want %s", tt.in, problems, tt.problem)
			}
			continue
		}
		if len(problems) != 0 || data["po_number"] != tt.want || len(data) != 1 {
			t.Errorf("%q: %v %v", tt.in, data, problems)
		}
	}
	for _, m := range []payment.Mode{payment.Check{}, payment.Transfer{}, payment.Free{}, payment.Test{}} {
		if data, problems := m.ValidateInput(map[string]string{"po_number": "x"}); len(data) != 0 || problems != nil {
			t.Errorf("%s asks for input: %v %v", m.Name(), data, problems)
		}
	}
	err := &payment.InputError{Mode: "purchase_order", Problems: []payment.Problem{{"po_number", "form.required"}}}
	if !errors.Is(err, payment.ErrInvalidInput) || !strings.Contains(err.Error(), "po_number") {
		t.Errorf("InputError %v", err)
	}
}

func TestInstructions(t *testing.T) {
	sh := shop()
	o := &order.Order{Number: "DEMO-2026-000042", Currency: "EUR", Total: eur(t, 12000), Paid: eur(t, 2000),
		PaymentData: map[string]string{"po_number": "PO-7"}}
	field := func(in payment.Instructions, name string) string {
		for _, f := range in.Fields {
			if f.Name == name {
				return f.Value
			}
		}
		return ""
	}
	in := payment.Transfer{}.Instructions(o, sh, "fr")
	if in.Kind != payment.KindTransfer || in.Reference != o.Number || field(in, "reference") != o.Number ||
		field(in, "bank_details") != sh.Seller.BankDetails || in.Amount.Amount() != 10000 {
		t.Errorf("transfer instructions %+v", in)
	}
	in = payment.Check{}.Instructions(o, sh, "en")
	if in.Kind != payment.KindCheck || field(in, "payee") != "Demo SAS" || field(in, "address") != sh.Seller.Address {
		t.Errorf("check instructions %+v", in)
	}
	in = payment.PurchaseOrder{}.Instructions(o, sh, "en")
	if in.Kind != payment.KindPurchaseOrder || field(in, "po_number") != "PO-7" {
		t.Errorf("purchase order instructions %+v", in)
	}
	if in := (payment.Free{}).Instructions(o, sh, "en"); in.Kind != payment.KindNone {
		t.Errorf("free instructions %+v", in)
	}
	if in := (payment.Test{}).Instructions(o, sh, "en"); in.Kind != payment.KindTest {
		t.Errorf("test instructions %+v", in)
	}
	for _, m := range payment.Builtin() {
		want := m.Name() == "check" || m.Name() == "transfer" || m.Name() == "purchase_order"
		if m.Offline() != want {
			t.Errorf("%s: Offline = %v", m.Name(), m.Offline())
		}
	}
}
