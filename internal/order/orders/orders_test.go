package orders_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/pricing"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

type newStoreFunc = func(testing.TB, ...testkit.Option) *store.Store

// TestOrders runs the order use cases on SQLite and, when
// COURSESHOP_TEST_POSTGRES is set, on PostgreSQL.
func TestOrders(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"Totals":                testTotals,
			"PaymentModes":          testPaymentModes,
			"ConcurrentBuyers":      testConcurrentBuyers,
			"OfflinePayments":       testOfflinePayments,
			"ConcurrentInvoices":    testConcurrentInvoices,
			"NoGaps":                testNoGaps,
			"Cancel":                testCancel,
			"ExpireHolds":           testExpireHolds,
			"Transitions":           testTransitions,
			"ConcurrentTransitions": testConcurrentTransitions,
			"BundleStock":           testBundleStock,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnv(t, newStore))
			})
		}
	})
}

type env struct {
	ctx      context.Context
	st       *store.Store
	svc      *orders.Service
	clock    *testkit.Clock
	live     *catalog.Shop // not in test mode
	lab      *catalog.Shop // in test mode, test payments for admins only
	products map[string]*catalog.Product
	byID     map[int64]*catalog.Product
	taxes    map[int64]*catalog.TaxClass
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func eur(t testing.TB, minor int64) money.Money {
	t.Helper()
	m, err := money.New(minor, "EUR")
	must(t, err)
	return m
}

func newEnv(t *testing.T, newStore newStoreFunc) *env {
	c := testkit.NewClock(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	st := newStore(t, testkit.WithClock(c.Now))
	e := &env{ctx: context.Background(), st: st, clock: c, products: map[string]*catalog.Product{},
		byID: map[int64]*catalog.Product{}, taxes: map[int64]*catalog.TaxClass{}}
	e.svc = orders.New(st, payment.NewRegistry(payment.Builtin()...), orders.Options{Now: c.Now})
	ctx := e.ctx
	cat := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, st.CreateCatalog(ctx, cat))
	std := &catalog.TaxClass{Code: "std", Name: "Standard", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 2000}, {Country: "*", RateBP: 0}}}
	books := &catalog.TaxClass{Code: "books", Name: "Books", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 550}}}
	for _, tc := range []*catalog.TaxClass{std, books} {
		must(t, st.CreateTaxClass(ctx, tc))
		e.taxes[tc.ID] = tc
	}
	seller := catalog.Seller{Name: "Demo SAS", Address: "12 rue de la Paix, Paris", Country: "FR", Email: "sales@demo.test", BankDetails: "IBAN FR76 3000"}
	modes := []string{"test", "check", "transfer", "purchase_order", "free"}
	e.live = &catalog.Shop{Code: "demo", Name: "Demo", Currency: "EUR", CatalogID: cat.ID, DefaultLocale: "en", LMSConnector: "local",
		Enabled: true, PaymentModes: modes, GuestPaymentModes: []string{"check", "free", "test"}, Seller: seller}
	e.lab = &catalog.Shop{Code: "lab", Name: "Lab", Currency: "EUR", CatalogID: cat.ID, DefaultLocale: "en", LMSConnector: "local",
		Enabled: true, PaymentModes: modes, GuestPaymentModes: modes, Seller: seller, TestMode: true}
	must(t, st.CreateShop(ctx, e.live))
	must(t, st.CreateShop(ctx, e.lab))
	add := func(p *catalog.Product) {
		p.CatalogID, p.Status, p.Audience = cat.ID, catalog.StatusAvailable, catalog.AudienceEveryone
		if p.Kind == "" {
			p.Kind = catalog.KindProduct
		}
		if p.SeatMode == "" {
			p.SeatMode = catalog.SeatNone
		}
		must(t, st.CreateProduct(ctx, p))
		e.products[p.Code], e.byID[p.ID] = p, p
	}
	add(&catalog.Product{Code: "COURSE", TaxClassID: std.ID, Handler: "enrol_one_course", HandlerParams: []byte(`{"course":"PM"}`),
		SeatMode: catalog.SeatPerUnit, Texts: catalog.Texts{"en": {Name: "Project management"}, "fr": {Name: "Gestion de projet"}},
		Prices: []catalog.Tier{{UpTo: 4, Unit: eur(t, 49999)}, {Unit: eur(t, 45001)}}})
	add(&catalog.Product{Code: "BOOK", TaxClassID: books.ID, Texts: catalog.Texts{"en": {Name: "Book"}}, Prices: []catalog.Tier{{Unit: eur(t, 1999)}}})
	add(&catalog.Product{Code: "SEAT", TaxClassID: std.ID, StockLimit: 50, Texts: catalog.Texts{"en": {Name: "Session seat"}}, Prices: []catalog.Tier{{Unit: eur(t, 10000)}}})
	add(&catalog.Product{Code: "FREEBIE", Texts: catalog.Texts{"en": {Name: "Webinar"}}, Prices: []catalog.Tier{{Unit: eur(t, 0)}}})
	add(&catalog.Product{Code: "PACK", Kind: catalog.KindBundle, TaxClassID: std.ID, StockLimit: 10, Texts: catalog.Texts{"en": {Name: "Pack"}},
		Prices:   []catalog.Tier{{Unit: eur(t, 52000)}},
		Elements: []catalog.Element{{ProductID: e.products["SEAT"].ID, Quantity: 2}, {ProductID: e.products["BOOK"].ID, Quantity: 1}}})
	return e
}

// input returns a placement in shop of the given code → quantity lines,
// paid with mode by a signed-in buyer.
func (e *env) input(shop *catalog.Shop, mode string, lines ...any) orders.PlaceInput {
	in := orders.PlaceInput{Shop: shop, Elements: e.byID, TaxClasses: e.taxes,
		Customer: order.Identity{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Country: "FR"}, PaymentMode: mode,
		ModeContext: payment.ModeContext{SignedIn: true}, Locale: "fr", Actor: "customer:1", HoldFor: time.Hour}
	for i := 0; i < len(lines); i += 2 {
		in.Lines = append(in.Lines, orders.PlaceLine{Product: e.products[lines[i].(string)], Quantity: lines[i+1].(int)})
	}
	return in
}

func (e *env) stock(t testing.TB, code string) store.ProductStock {
	t.Helper()
	id := e.products[code].ID
	st, err := e.st.ProductStocks(e.ctx, []int64{id})
	must(t, err)
	return st[id]
}

func (e *env) place(t testing.TB, in orders.PlaceInput) *order.Order {
	t.Helper()
	o, err := e.svc.Place(e.ctx, in)
	must(t, err)
	return o
}

func kinds(evs []order.Event) []string {
	var out []string
	for _, ev := range evs {
		s := string(ev.Kind)
		if ev.Kind == order.EventTransition {
			s = string(ev.From) + ">" + string(ev.To)
		}
		out = append(out, s)
	}
	return out
}

func testTotals(t *testing.T, e *env) {
	in := e.input(e.live, "transfer", "COURSE", 5, "BOOK", 3, "PACK", 1)
	in.Lines[0].Answers = []map[string]string{{"company": "ACME"}}
	in.Lines[0].Participants = []order.Participant{{FirstName: "Bo", LastName: "Li", Email: "bo@example.com"}}
	in.Invoicing = &order.Identity{Organisation: "ACME", Address: "1 rue", City: "Paris", Country: "FR"}
	in.PartnerTag = "P1"
	o := e.place(t, in)

	// The figures are pricing's, computed from the live tiers and rates.
	want, err := pricing.Compute("EUR", []pricing.Line{
		{Unit: eur(t, 45001), Quantity: 5, RateBP: 2000}, // beyond the first tier
		{Unit: eur(t, 1999), Quantity: 3, RateBP: 550},
		{Unit: eur(t, 52000), Quantity: 1, RateBP: 2000},
	})
	must(t, err)
	if !o.Untaxed.Equal(want.Untaxed) || !o.Tax.Equal(want.Tax) || !o.Total.Equal(want.Taxed) {
		t.Errorf("totals %v %v %v, want %v %v %v", o.Untaxed, o.Tax, o.Total, want.Untaxed, want.Tax, want.Taxed)
	}
	var sum [3]int64
	for i, l := range o.Lines {
		a := want.Lines[i]
		if !l.Untaxed.Equal(a.Untaxed) || !l.Tax.Equal(a.Tax) || !l.Total.Equal(a.Taxed) {
			t.Errorf("line %d: %v %v %v, want %+v", i+1, l.Untaxed, l.Tax, l.Total, a)
		}
		sum[0], sum[1], sum[2] = sum[0]+l.Untaxed.Amount(), sum[1]+l.Tax.Amount(), sum[2]+l.Total.Amount()
	}
	if sum != [3]int64{o.Untaxed.Amount(), o.Tax.Amount(), o.Total.Amount()} {
		t.Errorf("lines add up to %v, totals are %v %v %v", sum, o.Untaxed, o.Tax, o.Total)
	}
	if len(o.TaxBreakdown) != 2 || o.TaxBreakdown[0].RateBP != 550 || !o.TaxBreakdown[1].Tax.Equal(want.ByRate[1].Tax) {
		t.Errorf("breakdown %+v", o.TaxBreakdown)
	}

	if o.Number != "DEMO-2026-000001" || o.Status != order.StatusPending || len(o.AccessToken) != 43 ||
		o.AccessTokenHash != bearer.Hash(o.AccessToken) || o.Test || o.InvoiceNumber != "" {
		t.Errorf("order %s %s token %q test %v invoice %q", o.Number, o.Status, o.AccessToken, o.Test, o.InvoiceNumber)
	}
	if !o.HoldExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("hold expires %v", o.HoldExpiresAt)
	}
	snap := o.Lines[0].Snapshot
	if snap.Names["fr"] != "Gestion de projet" || snap.TaxClass != "std" || snap.Handler != "enrol_one_course" ||
		string(snap.HandlerParams) != `{"course":"PM"}` || snap.Answers[0]["company"] != "ACME" || snap.Participants[0].Email != "bo@example.com" {
		t.Errorf("snapshot %+v", snap)
	}
	if el := o.Lines[2].Snapshot.Elements; len(el) != 2 || el[0].Code != "SEAT" || el[0].Quantity != 2 || el[1].Code != "BOOK" {
		t.Errorf("bundle elements %+v", el)
	}

	// What was stored is what was returned, and the token finds it.
	got, err := e.svc.OrderByToken(e.ctx, o.AccessToken)
	must(t, err)
	if got.ID != o.ID || !got.Total.Equal(o.Total) || len(got.Lines) != 3 || got.Invoicing.Organisation != "ACME" ||
		got.PartnerTag != "P1" || got.Locale != "fr" || got.AccessToken != "" {
		t.Errorf("stored order %+v", got)
	}
	if _, err := e.svc.OrderByToken(e.ctx, o.AccessTokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the hash opens the order: %v", err)
	}
	// Stock: the bundle and its limited element are held; unlimited
	// products are not.
	if s := e.stock(t, "SEAT"); s.Held != 2 {
		t.Errorf("SEAT held %d, want 2 (bundle element)", s.Held)
	}
	if s := e.stock(t, "PACK"); s.Held != 1 {
		t.Errorf("PACK held %d", s.Held)
	}
	if s := e.stock(t, "BOOK"); s.Held != 0 {
		t.Errorf("unlimited BOOK held %d", s.Held)
	}
	evs, err := e.svc.Events(e.ctx, o.ID)
	must(t, err)
	if k := kinds(evs); !slices.Equal(k, []string{"placed", "PLACED>PENDING"}) || evs[0].Actor != "customer:1" {
		t.Errorf("events %v", k)
	}
	in2, ok := e.svc.Instructions(got, e.live, "fr")
	if !ok || in2.Kind != payment.KindTransfer || in2.Reference != o.Number || !in2.Amount.Equal(o.Total) {
		t.Errorf("instructions %+v", in2)
	}

	// Unknown tax class, bundle element or missing price refuse the order.
	bad := e.input(e.live, "transfer", "COURSE", 1)
	bad.TaxClasses = nil
	if _, err := e.svc.Place(e.ctx, bad); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("unknown tax class: %v", err)
	}
	bad = e.input(e.live, "transfer", "PACK", 1)
	bad.Elements = nil
	if _, err := e.svc.Place(e.ctx, bad); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("unknown element: %v", err)
	}
	bad = e.input(e.live, "transfer", "COURSE", 0)
	if _, err := e.svc.Place(e.ctx, bad); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("zero quantity: %v", err)
	}
	bad = e.input(e.live, "transfer")
	if _, err := e.svc.Place(e.ctx, bad); !errors.Is(err, orders.ErrInvalid) {
		t.Errorf("no lines: %v", err)
	}
	chf := *e.live
	chf.Currency = "CHF"
	bad = e.input(&chf, "transfer", "COURSE", 1)
	if _, err := e.svc.Place(e.ctx, bad); !errors.Is(err, catalog.ErrNoPrice) {
		t.Errorf("no price in CHF: %v", err)
	}
}

func testPaymentModes(t *testing.T, e *env) {
	// Free with something to pay: refused, whatever the page said.
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "free", "COURSE", 1)); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("free with a total: %v", err)
	}
	// A mode the shop does not offer to guests.
	guest := e.input(e.live, "transfer", "COURSE", 1)
	guest.ModeContext.SignedIn = false
	if _, err := e.svc.Place(e.ctx, guest); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("transfer for a guest: %v", err)
	}
	for _, mode := range []string{"stripe", "", "FREE"} {
		if _, err := e.svc.Place(e.ctx, e.input(e.live, mode, "COURSE", 1)); !errors.Is(err, payment.ErrModeNotAllowed) {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
	// Test mode: never in a live shop, even for an admin; in a test shop
	// only for admins here.
	admin := e.input(e.live, "test", "SEAT", 1)
	admin.ModeContext.Admin = true
	if _, err := e.svc.Place(e.ctx, admin); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("test mode in a live shop: %v", err)
	}
	if _, err := e.svc.Place(e.ctx, e.input(e.lab, "test", "SEAT", 1)); !errors.Is(err, payment.ErrModeNotAllowed) {
		t.Errorf("test mode for a non-admin: %v", err)
	}
	// Purchase order: the number is required and kept.
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "purchase_order", "COURSE", 1)); !errors.Is(err, payment.ErrInvalidInput) {
		t.Errorf("PO without number: %v", err)
	} else {
		var ie *payment.InputError
		if !errors.As(err, &ie) || ie.Problems[0].Field != "po_number" {
			t.Errorf("problems %+v", err)
		}
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 {
		t.Errorf("refused placements hold %d", s.Held)
	}
	po := e.input(e.live, "purchase_order", "COURSE", 1)
	po.PaymentInput = map[string]string{"po_number": " PO-77 "}
	o := e.place(t, po)
	if o.PONumber() != "PO-77" || o.Status != order.StatusPending {
		t.Errorf("PO order %s %v", o.Status, o.PaymentData)
	}
	// Refused placements took no number.
	if o.Number != "DEMO-2026-000001" {
		t.Errorf("first order is %s", o.Number)
	}

	// Free at zero: paid at once, invoiced in the legal series.
	free := e.place(t, e.input(e.live, "free", "FREEBIE", 2))
	if free.Status != order.StatusSoldout || free.InvoiceNumber != "F2026-000001" || !free.Total.IsZero() {
		t.Errorf("free order %s %q %v", free.Status, free.InvoiceNumber, free.Total)
	}

	// Test payment by an admin in the test shop: paid at once, invoiced in
	// the test series, stock sold.
	tp := e.input(e.lab, "test", "SEAT", 2)
	tp.ModeContext.Admin = true
	o = e.place(t, tp)
	if o.Status != order.StatusSoldout || !o.Paid.Equal(o.Total) || o.InvoiceNumber != "TEST-F2026-000001" || !o.Test || o.Number != "LAB-2026-000001" {
		t.Errorf("test order %s paid %v of %v invoice %q test %v number %s", o.Status, o.Paid, o.Total, o.InvoiceNumber, o.Test, o.Number)
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 || s.Sold != 2 {
		t.Errorf("after a test payment SEAT = %+v", s)
	}
	ledger, err := e.st.PaymentsOfOrder(e.ctx, o.ID)
	must(t, err)
	if len(ledger) != 1 || ledger[0].Provider != "test" || !ledger[0].Amount.Equal(o.Total) {
		t.Errorf("ledger %+v", ledger)
	}
	evs, err := e.svc.Events(e.ctx, o.ID)
	must(t, err)
	if k := kinds(evs); !slices.Equal(k, []string{"placed", "payment", "PLACED>SOLDOUT", "production_queued"}) {
		t.Errorf("events %v", k)
	}
	if evs[2].Data["invoice_number"] != "TEST-F2026-000001" {
		t.Errorf("transition data %v", evs[2].Data)
	}
	// A later live payment still starts the legal series where it was.
	p := e.place(t, e.input(e.live, "check", "BOOK", 1))
	p, err = e.svc.RecordOfflinePayment(e.ctx, p.ID, p.Total, "CHK-1", "user:1")
	must(t, err)
	if p.InvoiceNumber != "F2026-000002" {
		t.Errorf("invoice %q", p.InvoiceNumber)
	}
}

// testConcurrentBuyers: 200 buyers at once for 50 seats: exactly 50
// orders, 150 refusals naming the product, 50 units held, and order
// numbers 1 to 50 without a gap.
func testConcurrentBuyers(t *testing.T, e *env) {
	const buyers = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	var numbers []string
	soldOut := 0
	for i := range buyers {
		wg.Go(func() {
			in := e.input(e.live, "check", "SEAT", 1)
			in.Customer.Email = fmt.Sprintf("buyer%d@example.com", i)
			o, err := e.svc.Place(e.ctx, in)
			mu.Lock()
			defer mu.Unlock()
			var so *order.SoldOutError
			switch {
			case err == nil:
				numbers = append(numbers, o.Number)
			case errors.As(err, &so) && so.Code == "SEAT" && errors.Is(err, order.ErrSoldOut):
				soldOut++
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(numbers) != 50 || soldOut != 150 {
		t.Fatalf("%d placed, %d sold out; want 50 and 150", len(numbers), soldOut)
	}
	if s := e.stock(t, "SEAT"); s.Held != 50 || s.Sold != 0 {
		t.Errorf("SEAT = %+v, want 50 held", s)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := orders.OrderNumber("demo", 2026, int64(i+1)); n != want {
			t.Fatalf("numbers have a gap: %s where %s was expected", n, want)
		}
	}
}

func testOfflinePayments(t *testing.T, e *env) {
	o := e.place(t, e.input(e.live, "transfer", "SEAT", 3)) // 360.00
	if o.Total.Amount() != 36000 {
		t.Fatalf("total %v", o.Total)
	}
	for name, tc := range map[string]struct {
		amount money.Money
		ref    string
	}{
		"zero":         {eur(t, 0), "X"},
		"negative":     {eur(t, -5), "X"},
		"no reference": {eur(t, 100), "  "},
		"zero Money":   {money.Money{}, "X"},
	} {
		if _, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, tc.amount, tc.ref, "user:1"); !errors.Is(err, orders.ErrInvalidPayment) {
			t.Errorf("%s: %v", name, err)
		}
	}
	usd, _ := money.New(100, "USD")
	if _, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, usd, "X", "user:1"); !errors.Is(err, orders.ErrInvalidPayment) {
		t.Errorf("USD: %v", err)
	}
	if _, err := e.svc.RecordOfflinePayment(e.ctx, o.ID+1000, eur(t, 100), "X", "user:1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}

	o, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 10000), "TRF-1", "user:1")
	must(t, err)
	if o.Status != order.StatusPartial || o.Paid.Amount() != 10000 || o.InvoiceNumber != "" {
		t.Errorf("after part: %s %v %q", o.Status, o.Paid, o.InvoiceNumber)
	}
	// Replays change nothing; the same reference with another amount is
	// refused.
	again, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 10000), "TRF-1", "user:2")
	must(t, err)
	if again.Status != order.StatusPartial || again.Paid.Amount() != 10000 {
		t.Errorf("replay changed the order: %s %v", again.Status, again.Paid)
	}
	if _, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 9000), "TRF-1", "user:1"); !errors.Is(err, orders.ErrInvalidPayment) {
		t.Errorf("same ref, other amount: %v", err)
	}
	o, err = e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 5000), "TRF-2", "user:1")
	must(t, err)
	if o.Status != order.StatusPartial || o.Paid.Amount() != 15000 {
		t.Errorf("second part: %s %v", o.Status, o.Paid)
	}
	o, err = e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 21000), "TRF-3", "user:1")
	must(t, err)
	if o.Status != order.StatusSoldout || o.Paid.Amount() != 36000 || o.InvoiceNumber != "F2026-000001" || !o.InvoicedAt.Equal(e.clock.Now()) {
		t.Errorf("paid: %s %v %q", o.Status, o.Paid, o.InvoiceNumber)
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 || s.Sold != 3 {
		t.Errorf("SEAT = %+v, want 3 sold", s)
	}
	// A replay after the order is paid is still harmless.
	if o2, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 21000), "TRF-3", "user:1"); err != nil || o2.InvoiceNumber != "F2026-000001" {
		t.Errorf("late replay: %v", err)
	}
	// But a new payment for a paid order is refused.
	if _, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 100), "TRF-4", "user:1"); !errors.Is(err, order.ErrTransition) {
		t.Errorf("payment on a paid order: %v", err)
	}
	ledger, err := e.st.PaymentsOfOrder(e.ctx, o.ID)
	must(t, err)
	if len(ledger) != 3 {
		t.Errorf("ledger has %d entries, want 3", len(ledger))
	}
	evs, err := e.svc.Events(e.ctx, o.ID)
	must(t, err)
	want := []string{"placed", "PLACED>PENDING", "payment", "PENDING>PARTIAL", "payment", "payment", "PARTIAL>SOLDOUT", "production_queued"}
	if k := kinds(evs); !slices.Equal(k, want) {
		t.Errorf("events %v, want %v", k, want)
	}
	// A cancelled order takes no payment (and no invoice number).
	c := e.place(t, e.input(e.live, "check", "BOOK", 1))
	_, err = e.svc.Cancel(e.ctx, c.ID, order.Cause{Actor: "customer:1", Reason: "changed my mind"})
	must(t, err)
	if _, err := e.svc.RecordOfflinePayment(e.ctx, c.ID, c.Total, "CHK-9", "user:1"); !errors.Is(err, order.ErrTransition) {
		t.Errorf("payment on a cancelled order: %v", err)
	}
}

// testConcurrentInvoices: 100 orders paid at once (some payments reported
// twice): invoice numbers 1 to 100 exactly, one per order.
func testConcurrentInvoices(t *testing.T, e *env) {
	const n = 100
	ids := make([]int64, n)
	totals := make([]money.Money, n)
	for i := range n {
		o := e.place(t, e.input(e.live, "transfer", "BOOK", 1+i%3))
		ids[i], totals[i] = o.ID, o.Total
	}
	var wg sync.WaitGroup
	for i := range n {
		for range 1 + i%2 { // odd orders get their payment reported twice at once
			wg.Go(func() {
				if _, err := e.svc.RecordOfflinePayment(e.ctx, ids[i], totals[i], fmt.Sprintf("TRF-%d", i), "user:1"); err != nil {
					t.Errorf("order %d: %v", i, err)
				}
			})
		}
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, id := range ids {
		o, err := e.svc.Order(e.ctx, id)
		must(t, err)
		if o.Status != order.StatusSoldout || seen[o.InvoiceNumber] {
			t.Errorf("order %d: %s invoice %q (duplicate: %v)", i, o.Status, o.InvoiceNumber, seen[o.InvoiceNumber])
		}
		seen[o.InvoiceNumber] = true
		ledger, err := e.st.PaymentsOfOrder(e.ctx, id)
		must(t, err)
		if len(ledger) != 1 {
			t.Errorf("order %d has %d payments", i, len(ledger))
		}
	}
	for k := 1; k <= n; k++ {
		if !seen[orders.InvoiceNumber(false, 2026, int64(k))] {
			t.Errorf("invoice number %d missing: the series has a gap", k)
		}
	}
}

// testNoGaps: placements and payments that fail roll their numbers back.
func testNoGaps(t *testing.T, e *env) {
	first := e.place(t, e.input(e.live, "check", "SEAT", 1))
	boom := errors.New("outbox full")
	in := e.input(e.live, "check", "SEAT", 1)
	in.AfterPlace = func(tx *store.Store, o *order.Order) error {
		if o.Number != "DEMO-2026-000002" || o.ID == 0 || o.Status != order.StatusPending {
			t.Errorf("AfterPlace sees %s %d %s", o.Number, o.ID, o.Status)
		}
		return boom
	}
	if _, err := e.svc.Place(e.ctx, in); !errors.Is(err, boom) {
		t.Fatalf("AfterPlace error lost: %v", err)
	}
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "check", "SEAT", 60)); !errors.Is(err, order.ErrSoldOut) {
		t.Fatalf("sold out: %v", err)
	}
	// The hook's writes commit with the order.
	in.AfterPlace = func(tx *store.Store, o *order.Order) error {
		return tx.AddOrderEvent(e.ctx, &order.Event{OrderID: o.ID, Actor: "system", Kind: order.EventNote, Message: "mail queued"})
	}
	second := e.place(t, in)
	if second.Number != "DEMO-2026-000002" {
		t.Errorf("after failed placements the next number is %s (first %s)", second.Number, first.Number)
	}
	evs, err := e.svc.Events(e.ctx, second.ID)
	must(t, err)
	if k := kinds(evs); !slices.Equal(k, []string{"placed", "PLACED>PENDING", "note"}) {
		t.Errorf("events %v", k)
	}
	if s := e.stock(t, "SEAT"); s.Held != 2 {
		t.Errorf("held %d, want 2: failed placements must hold nothing", s.Held)
	}

	// A payment whose transaction fails after taking an invoice number
	// gives it back.
	err = e.st.InTx(e.ctx, func(tx *store.Store) error {
		inTx := orders.New(tx, e.svc.Modes(), orders.Options{Now: e.clock.Now})
		o, err := inTx.RecordOfflinePayment(e.ctx, first.ID, first.Total, "CHK-1", "user:1")
		if err != nil {
			return err
		}
		if o.InvoiceNumber != "F2026-000001" {
			t.Errorf("invoice %q", o.InvoiceNumber)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	o, err := e.svc.RecordOfflinePayment(e.ctx, second.ID, second.Total, "CHK-2", "user:1")
	must(t, err)
	if o.InvoiceNumber != "F2026-000001" {
		t.Errorf("after a rolled back payment the next invoice is %q", o.InvoiceNumber)
	}
	if back, _ := e.svc.Order(e.ctx, first.ID); back.Status != order.StatusPending || back.InvoiceNumber != "" || !back.Paid.IsZero() {
		t.Errorf("rolled back payment left %s %q %v", back.Status, back.InvoiceNumber, back.Paid)
	}
}

func testCancel(t *testing.T, e *env) {
	o := e.place(t, e.input(e.live, "check", "SEAT", 3))
	if s := e.stock(t, "SEAT"); s.Held != 3 {
		t.Fatalf("held %d", s.Held)
	}
	c, err := e.svc.Cancel(e.ctx, o.ID, order.Cause{Actor: "customer:1", Reason: "changed my mind"})
	must(t, err)
	if c.Status != order.StatusCancelled || c.Holds[0].State != order.HoldReleased {
		t.Errorf("cancelled %s holds %+v", c.Status, c.Holds)
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 {
		t.Errorf("held %d after cancel", s.Held)
	}
	if _, err := e.svc.Cancel(e.ctx, o.ID, order.Cause{Actor: "customer:1"}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("cancel twice: %v", err)
	}
	evs, err := e.svc.Events(e.ctx, o.ID)
	must(t, err)
	if last := evs[len(evs)-1]; last.To != order.StatusCancelled || last.Message != "changed my mind" || last.Data["effects"] != "release_stock" {
		t.Errorf("last event %+v", last)
	}
	// Partly paid: no longer cancellable by Cancel.
	p := e.place(t, e.input(e.live, "check", "SEAT", 1))
	_, err = e.svc.RecordOfflinePayment(e.ctx, p.ID, eur(t, 100), "CHK-1", "user:1")
	must(t, err)
	if _, err := e.svc.Cancel(e.ctx, p.ID, order.Cause{Actor: "user:1", Override: true}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("cancel a partly paid order: %v", err)
	}
	if s := e.stock(t, "SEAT"); s.Held != 1 {
		t.Errorf("held %d", s.Held)
	}
}

func testExpireHolds(t *testing.T, e *env) {
	stale := e.place(t, e.input(e.live, "check", "SEAT", 4))
	partly := e.place(t, e.input(e.live, "check", "SEAT", 1))
	_, err := e.svc.RecordOfflinePayment(e.ctx, partly.ID, eur(t, 100), "CHK-1", "user:1")
	must(t, err)
	paid := e.place(t, e.input(e.live, "check", "SEAT", 2))
	long := e.input(e.live, "check", "SEAT", 5)
	long.HoldFor = 48 * time.Hour
	fresh := e.place(t, long)
	if n, err := e.svc.ExpireHolds(e.ctx, e.clock.Now()); err != nil || n != 0 {
		t.Errorf("nothing expired yet: %d, %v", n, err)
	}
	e.clock.Add(30 * time.Minute)
	_, err = e.svc.RecordOfflinePayment(e.ctx, paid.ID, paid.Total, "CHK-2", "user:1")
	must(t, err)
	e.clock.Add(31 * time.Minute)
	n, err := e.svc.ExpireHolds(e.ctx, e.clock.Now())
	if err != nil || n != 1 {
		t.Fatalf("ExpireHolds = %d, %v; want 1", n, err)
	}
	for _, x := range []struct {
		o    *order.Order
		want order.Status
	}{{stale, order.StatusCancelled}, {partly, order.StatusPartial}, {paid, order.StatusSoldout}, {fresh, order.StatusPending}} {
		got, err := e.svc.Order(e.ctx, x.o.ID)
		must(t, err)
		if got.Status != x.want {
			t.Errorf("%s is %s, want %s", got.Number, got.Status, x.want)
		}
	}
	if s := e.stock(t, "SEAT"); s.Held != 1+5 || s.Sold != 2 {
		t.Errorf("SEAT = %+v, want 6 held (partly paid + fresh), 2 sold", s)
	}
	evs, err := e.svc.Events(e.ctx, stale.ID)
	must(t, err)
	if last := evs[len(evs)-1]; last.Actor != "system" || last.Message != "stock hold expired" {
		t.Errorf("expiry event %+v", last)
	}
	if n, err := e.svc.ExpireHolds(e.ctx, e.clock.Now()); err != nil || n != 0 {
		t.Errorf("second run: %d, %v", n, err)
	}
}

func testTransitions(t *testing.T, e *env) {
	o := e.place(t, e.input(e.live, "transfer", "SEAT", 2)) // 240.00
	if _, err := e.svc.Transition(e.ctx, o.ID, order.StatusPreprod, order.Cause{Actor: "user:1"}); !errors.Is(err, order.ErrOverrideRequired) {
		t.Errorf("PREPROD without override: %v", err)
	}
	if _, err := e.svc.Transition(e.ctx, o.ID, order.StatusComplete, order.Cause{Actor: "user:1", Override: true}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("PENDING → COMPLETE: %v", err)
	}
	o, err := e.svc.Transition(e.ctx, o.ID, order.StatusPreprod, order.Cause{Actor: "user:1", Reason: "trusted", Override: true})
	must(t, err)
	if o.Status != order.StatusPreprod || o.InvoiceNumber != "" {
		t.Errorf("preprod %s %q", o.Status, o.InvoiceNumber)
	}
	// A partial payment keeps it in PREPROD; the rest makes it SOLDOUT.
	o, err = e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 4000), "TRF-1", "user:1")
	must(t, err)
	if o.Status != order.StatusPreprod || o.Paid.Amount() != 4000 {
		t.Errorf("preprod partly paid: %s %v", o.Status, o.Paid)
	}
	if back, _ := e.svc.Order(e.ctx, o.ID); back.Paid.Amount() != 4000 {
		t.Errorf("stored paid %v", back.Paid)
	}
	o, err = e.svc.RecordOfflinePayment(e.ctx, o.ID, eur(t, 20000), "TRF-2", "user:1")
	must(t, err)
	if o.Status != order.StatusSoldout || o.InvoiceNumber != "F2026-000001" {
		t.Errorf("preprod paid: %s %q", o.Status, o.InvoiceNumber)
	}
	// COMPLETE once every line is produced.
	if _, err := e.svc.Transition(e.ctx, o.ID, order.StatusComplete, order.Cause{Actor: "system"}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("COMPLETE before production: %v", err)
	}
	for _, l := range o.Lines {
		must(t, e.st.SetLineProduction(e.ctx, l.ID, order.ProductionDone, ""))
	}
	o, err = e.svc.Transition(e.ctx, o.ID, order.StatusComplete, order.Cause{Actor: "system", Reason: "produced"})
	must(t, err)
	if o.Status != order.StatusComplete {
		t.Errorf("status %s", o.Status)
	}
	// Refund: PAYBACK, then CANCELLED (by override until refunds are in
	// the ledger) gives the sold seats back and asks for a credit note.
	_, err = e.svc.Transition(e.ctx, o.ID, order.StatusPayback, order.Cause{Actor: "user:1", Reason: "refund asked"})
	must(t, err)
	if _, err := e.svc.Transition(e.ctx, o.ID, order.StatusCancelled, order.Cause{Actor: "user:1"}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("cancel before the refund: %v", err)
	}
	o, err = e.svc.Transition(e.ctx, o.ID, order.StatusCancelled, order.Cause{Actor: "user:1", Reason: "refunded by transfer", Override: true})
	must(t, err)
	if o.Status != order.StatusCancelled || o.InvoiceNumber != "F2026-000001" {
		t.Errorf("refunded %s %q", o.Status, o.InvoiceNumber)
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 || s.Sold != 0 {
		t.Errorf("SEAT = %+v after refund", s)
	}
	evs, err := e.svc.Events(e.ctx, o.ID)
	must(t, err)
	want := []string{"placed", "PLACED>PENDING", "PENDING>PREPROD", "production_queued", "payment", "payment", "PREPROD>SOLDOUT",
		"production_queued", "SOLDOUT>COMPLETE", "COMPLETE>PAYBACK", "PAYBACK>CANCELLED", "credit_note_due"}
	if k := kinds(evs); !slices.Equal(k, want) {
		t.Errorf("timeline %v\nwant %v", k, want)
	}
	if _, err := e.svc.Transition(e.ctx, o.ID+1000, order.StatusCancelled, order.Cause{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
}

// testConcurrentTransitions: a cancellation and a full payment racing on
// the same order: exactly one wins, and stock ends consistent.
func testConcurrentTransitions(t *testing.T, e *env) {
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	cancelled, paid := 0, 0
	for i := range n {
		o := e.place(t, e.input(e.live, "check", "SEAT", 2))
		wg.Go(func() {
			_, err := e.svc.Cancel(e.ctx, o.ID, order.Cause{Actor: "customer:1"})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				cancelled++
			} else if !errors.Is(err, order.ErrTransition) {
				t.Errorf("cancel %d: %v", i, err)
			}
		})
		wg.Go(func() {
			_, err := e.svc.RecordOfflinePayment(e.ctx, o.ID, o.Total, "CHK", "user:1")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				paid++
			} else if !errors.Is(err, order.ErrTransition) {
				t.Errorf("pay %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if cancelled+paid != n {
		t.Fatalf("%d cancelled + %d paid, want %d in all", cancelled, paid, n)
	}
	if s := e.stock(t, "SEAT"); s.Held != 0 || s.Sold != 2*paid {
		t.Errorf("SEAT = %+v with %d paid, %d cancelled", s, paid, cancelled)
	}
}

func testBundleStock(t *testing.T, e *env) {
	// Each PACK takes 2 SEATs: 25 packs exhaust the 50 seats although
	// the pack itself has 10 units.
	o := e.place(t, e.input(e.live, "check", "PACK", 10))
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "check", "PACK", 1)); !errors.Is(err, order.ErrSoldOut) {
		t.Errorf("11th pack: %v", err)
	}
	if s := e.stock(t, "SEAT"); s.Held != 20 {
		t.Errorf("SEAT held %d", s.Held)
	}
	// Seats sold alone and in packs draw from the same stock, in one
	// order too.
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "check", "SEAT", 29, "BOOK", 1, "SEAT", 2)); !errors.Is(err, order.ErrSoldOut) {
		t.Errorf("31 more seats: %v", err)
	}
	var so *order.SoldOutError
	_, err := e.svc.Place(e.ctx, e.input(e.live, "check", "SEAT", 31))
	if !errors.As(err, &so) || so.Code != "SEAT" {
		t.Errorf("sold out error %v", err)
	}
	if _, err := e.svc.Place(e.ctx, e.input(e.live, "check", "SEAT", 28, "SEAT", 2)); err != nil {
		t.Errorf("the last 30 seats: %v", err)
	}
	if s := e.stock(t, "SEAT"); s.Held != 50 {
		t.Errorf("SEAT held %d", s.Held)
	}
	_, err = e.svc.Cancel(e.ctx, o.ID, order.Cause{Actor: "user:1"})
	must(t, err)
	if s, p := e.stock(t, "SEAT"), e.stock(t, "PACK"); s.Held != 30 || p.Held != 0 {
		t.Errorf("after cancelling the packs: SEAT %+v PACK %+v", s, p)
	}
}
