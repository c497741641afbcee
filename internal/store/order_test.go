package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/money"
	"courseshop/internal/order"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// The order and payment part of the store suite, on both engines.

func TestOrders(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *store.Store){
			"CreateAndLoad":      testOrderCreateAndLoad,
			"OptimisticStatus":   testOrderOptimisticStatus,
			"Counters":           testCounters,
			"Stock":              testStock,
			"OrderStock":         testOrderStock,
			"ExpiredHolds":       testExpiredHolds,
			"Payments":           testPayments,
			"InvoiceNumber":      testInvoiceNumber,
			"EventsAndLines":     testOrderEventsAndLines,
			"ConcurrentCounters": testConcurrentCounters,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newStore(t, testkit.WithClock(clock())))
			})
		}
	})
}

var ordOpts = cmp.Options{cmpopts.EquateEmpty(), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b money.Money) bool { return a.Equal(b) })}

type ordFix struct {
	shop     *catalog.Shop
	limited  *catalog.Product // stock_limit 5
	open     *catalog.Product // unlimited
	customer int64
}

func ordFixture(t *testing.T, s *store.Store) ordFix {
	t.Helper()
	ctx := context.Background()
	c := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, s.CreateCatalog(ctx, c))
	sh := &catalog.Shop{Code: "demo", Name: "Demo", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
	must(t, s.CreateShop(ctx, sh))
	f := ordFix{shop: sh}
	for _, p := range []**catalog.Product{&f.limited, &f.open} {
		limit, code := 5, "LIM"
		if p == &f.open {
			limit, code = 0, "OPEN"
		}
		*p = &catalog.Product{CatalogID: c.ID, Code: code, Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
			Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, StockLimit: limit, Prices: []catalog.Tier{{Unit: eur(10000)}}}
		must(t, s.CreateProduct(ctx, *p))
	}
	cu := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", Country: "FR"}, Locale: "en"}
	if _, err := s.SaveLead(ctx, cu); err != nil {
		t.Fatal(err)
	}
	f.customer = cu.ID
	return f
}

// ordSample returns an unsaved order of qty units of f.limited, numbered n.
func ordSample(f ordFix, n string, qty int) *order.Order {
	unit := eur(10000)
	untaxed, _ := unit.Mul(int64(qty))
	tax, _ := untaxed.ApplyRate(2000)
	total, _ := untaxed.Add(tax)
	return &order.Order{ShopID: f.shop.ID, Number: n, AccessTokenHash: bearer.Hash("token-" + n), CustomerID: f.customer,
		LMSUserRef: "lms:9", Status: order.StatusPlaced, Currency: "EUR",
		Customer:  order.Identity{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Country: "FR"},
		Invoicing: &order.Identity{Organisation: "ACME", Department: "HR", VATNumber: "FR123", Address: "1 rue", City: "Paris", Country: "FR"},
		Lines: []order.Line{{Position: 1, Kind: order.LineProduct, ProductID: f.limited.ID, Code: "LIM", Quantity: qty, Unit: unit,
			RateBP: 2000, Untaxed: untaxed, Tax: tax, Total: total, Production: order.ProductionPending,
			Snapshot: order.LineSnapshot{Code: "LIM", Kind: catalog.KindProduct, Names: map[string]string{"en": "Limited", "fr": "Limité"},
				Unit: unit, TaxClass: "std", RateBP: 2000, Handler: "enrol", HandlerParams: []byte(`{"course":"X"}`), SeatMode: catalog.SeatPerUnit,
				Answers:      []map[string]string{{"company": "ACME"}},
				Participants: []order.Participant{{Role: "student", FirstName: "Bo", LastName: "Li", Email: "bo@example.com"}}}}},
		Holds:   []order.StockHold{{ProductID: f.limited.ID, Code: "LIM", Quantity: qty, State: order.HoldHeld}},
		Untaxed: untaxed, Tax: tax, Total: total, Paid: eur(0),
		TaxBreakdown: []order.RateTotal{{RateBP: 2000, Untaxed: untaxed, Tax: tax}},
		PaymentMode:  "purchase_order", PaymentData: map[string]string{"po_number": "PO-1"}, Locale: "fr", PartnerTag: "P1", Test: true,
		PlacedAt: fixed, HoldExpiresAt: fixed.Add(time.Hour)}
}

func ordCreate(t *testing.T, s *store.Store, o *order.Order) {
	t.Helper()
	ctx := context.Background()
	must(t, s.InTx(ctx, func(tx *store.Store) error {
		for _, h := range o.Holds {
			if err := tx.HoldStock(ctx, h.ProductID, h.Quantity); err != nil {
				return err
			}
		}
		return tx.CreateOrder(ctx, o, order.Event{At: fixed, Actor: "guest", To: order.StatusPlaced, Kind: order.EventPlaced, Message: "placed"})
	}))
}

func testOrderCreateAndLoad(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	o := ordSample(f, "DEMO-2026-000001", 2)
	ordCreate(t, s, o)
	if o.ID == 0 || o.Lines[0].ID == 0 || !o.CreatedAt.Equal(fixed) {
		t.Fatalf("IDs/timestamps not set: %+v", o)
	}
	want := *o
	got, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	if diff := cmp.Diff(&want, got, ordOpts); diff != "" {
		t.Errorf("OrderByID round trip (-want +got):\n%s", diff)
	}
	for name, get := range map[string]func() (*order.Order, error){
		"number": func() (*order.Order, error) { return s.OrderByNumber(ctx, f.shop.ID, "DEMO-2026-000001") },
		"token": func() (*order.Order, error) {
			return s.OrderByAccessToken(ctx, bearer.Hash("token-DEMO-2026-000001"))
		},
	} {
		got, err := get()
		if err != nil || got.ID != o.ID {
			t.Errorf("by %s: %v, %v", name, got, err)
		}
	}
	if _, err := s.OrderByNumber(ctx, f.shop.ID+1, "DEMO-2026-000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("order found from another shop: %v", err)
	}
	if _, err := s.OrderByAccessToken(ctx, "token-DEMO-2026-000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("order found by its plain token: %v", err)
	}
	if _, err := s.OrderByID(ctx, o.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("OrderByID(unknown) = %v", err)
	}

	// Another order of the same customer, without invoicing identity.
	o2 := ordSample(f, "DEMO-2026-000002", 1)
	o2.Invoicing, o2.PaymentData, o2.LMSUserRef = nil, nil, ""
	ordCreate(t, s, o2)
	got2, err := s.OrderByID(ctx, o2.ID)
	must(t, err)
	if got2.Invoicing != nil || got2.LMSUserRef != "" || len(got2.PaymentData) != 0 {
		t.Errorf("empty fields round trip: %+v", got2)
	}
	list, err := s.OrdersOfCustomer(ctx, f.customer)
	must(t, err)
	if len(list) != 2 || list[0].ID != o2.ID || list[1].ID != o.ID || len(list[1].Lines) != 1 || len(list[0].Holds) != 1 {
		t.Errorf("OrdersOfCustomer = %+v", list)
	}
	if list, err := s.OrdersOfCustomer(ctx, f.customer+100); err != nil || len(list) != 0 {
		t.Errorf("OrdersOfCustomer(other) = %v, %v", list, err)
	}

	dup := ordSample(f, "DEMO-2026-000001", 1)
	dup.Holds = nil
	if err := s.CreateOrder(ctx, dup, order.Event{Kind: order.EventPlaced}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate number: %v", err)
	}
	dup.Number, dup.AccessTokenHash = "DEMO-2026-000009", ""
	if err := s.CreateOrder(ctx, dup, order.Event{Kind: order.EventPlaced}); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("order without token hash: %v", err)
	}
	st, err := s.ProductStocks(ctx, []int64{f.limited.ID})
	must(t, err)
	if st[f.limited.ID].Held != 3 {
		t.Errorf("held = %d, want 3 after two orders and two refused ones", st[f.limited.ID].Held)
	}
}

func testOrderOptimisticStatus(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	o := ordSample(f, "DEMO-2026-000001", 1)
	ordCreate(t, s, o)
	a, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	b, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	evA, _, err := a.Apply(order.StatusPending, order.Cause{Actor: "customer:1"}, fixed)
	must(t, err)
	must(t, s.UpdateOrderStatus(ctx, a, evA))
	evB, _, err := b.Apply(order.StatusCancelled, order.Cause{Actor: "user:1"}, fixed)
	must(t, err)
	if err := s.UpdateOrderStatus(ctx, b, evB); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale transition: err = %v, want ErrConflict", err)
	}
	got, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	if got.Status != order.StatusPending {
		t.Errorf("status = %s", got.Status)
	}
	evs, err := s.OrderEvents(ctx, o.ID)
	must(t, err)
	if len(evs) != 2 || evs[1].From != order.StatusPlaced || evs[1].To != order.StatusPending || evs[1].Actor != "customer:1" {
		t.Errorf("events = %+v (the loser must leave none)", evs)
	}
	ghost := *a
	ghost.ID = o.ID + 100
	if err := s.UpdateOrderStatus(ctx, &ghost, order.Event{From: order.StatusPending, To: order.StatusCancelled}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}

	// Many concurrent transitions from one status: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range 8 {
		wg.Go(func() {
			c, err := s.OrderByID(ctx, o.ID)
			if err != nil {
				t.Error(err)
				return
			}
			to := order.StatusCancelled
			if i%2 == 0 {
				to = order.StatusRefused
			}
			c.Status = order.StatusPending // every goroutine starts from the same status
			ev, _, err := c.Apply(to, order.Cause{Actor: "system"}, fixed)
			if err != nil {
				t.Error(err)
				return
			}
			err = s.UpdateOrderStatus(ctx, c, ev)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Errorf("wins = %d, conflicts = %d, want 1 and 7", wins, conflicts)
	}
}

func testCounters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if _, err := s.NextCounter(ctx, "x"); err == nil {
		t.Error("NextCounter outside a transaction accepted")
	}
	next := func() int64 {
		var v int64
		must(t, s.InTx(ctx, func(tx *store.Store) (err error) { v, err = tx.NextCounter(ctx, "invoice:1:2026"); return err }))
		return v
	}
	if a, b := next(), next(); a != 1 || b != 2 {
		t.Errorf("counter %d, %d", a, b)
	}
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *store.Store) error {
		if v, err := tx.NextCounter(ctx, "invoice:1:2026"); err != nil || v != 3 {
			t.Errorf("in rolled back tx: %d, %v", v, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if v := next(); v != 3 {
		t.Errorf("after rollback: %d, want 3 (no gap)", v)
	}
	var other int64
	must(t, s.InTx(ctx, func(tx *store.Store) (err error) { other, err = tx.NextCounter(ctx, "invoice:2:2026"); return err }))
	if other != 1 {
		t.Errorf("counters are not independent: %d", other)
	}
}

// testConcurrentCounters: numbers taken by concurrent transactions, some
// rolled back, have no gap and no duplicate.
func testConcurrentCounters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			var v int64
			err := s.InTx(ctx, func(tx *store.Store) (err error) {
				if v, err = tx.NextCounter(ctx, "order:1:2026"); err != nil {
					return err
				}
				if i%4 == 0 {
					return errors.New("rolled back")
				}
				return nil
			})
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("numbers %v: gap or duplicate at %d", got, i+1)
		}
	}
	if len(got) != 30 {
		t.Errorf("%d committed, want 30", len(got))
	}
}

func ordStock(t *testing.T, s *store.Store, id int64) store.ProductStock {
	t.Helper()
	st, err := s.ProductStocks(context.Background(), []int64{id})
	must(t, err)
	return st[id]
}

func testStock(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	id := f.limited.ID
	must(t, s.HoldStock(ctx, id, 3))
	if err := s.HoldStock(ctx, id, 3); !errors.Is(err, store.ErrSoldOut) || !errors.Is(err, order.ErrSoldOut) {
		t.Errorf("over the limit: %v", err)
	}
	must(t, s.HoldStock(ctx, id, 2))
	if err := s.HoldStock(ctx, id, 1); !errors.Is(err, store.ErrSoldOut) {
		t.Errorf("sold out: %v", err)
	}
	must(t, s.ConsumeStock(ctx, id, 2))
	if st := ordStock(t, s, id); st.Held != 3 || st.Sold != 2 {
		t.Errorf("after consume: %+v", st)
	}
	must(t, s.ReleaseStock(ctx, id, 3))
	if err := s.ReleaseStock(ctx, id, 1); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("release more than held: %v", err)
	}
	if err := s.ConsumeStock(ctx, id, 1); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("consume more than held: %v", err)
	}
	if err := s.HoldStock(ctx, id, 4); !errors.Is(err, store.ErrSoldOut) {
		t.Errorf("2 sold + 4 held > 5: %v", err)
	}
	must(t, s.HoldStock(ctx, id, 3))
	if st := ordStock(t, s, id); st.Held != 3 || st.Sold != 2 || st.Limit != 5 {
		t.Errorf("stock = %+v", st)
	}
	must(t, s.HoldStock(ctx, f.open.ID, 100000))
	if err := s.HoldStock(ctx, id+1000, 1); !errors.Is(err, store.ErrSoldOut) {
		t.Errorf("unknown product: %v", err)
	}
}

func testOrderStock(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	o := ordSample(f, "DEMO-2026-000001", 2)
	ordCreate(t, s, o)
	consume := func() int {
		var n int
		must(t, s.InTx(ctx, func(tx *store.Store) (err error) { n, err = tx.ConsumeOrderStock(ctx, o.ID); return err }))
		return n
	}
	release := func() int {
		var n int
		must(t, s.InTx(ctx, func(tx *store.Store) (err error) { n, err = tx.ReleaseOrderStock(ctx, o.ID); return err }))
		return n
	}
	if a, b := consume(), consume(); a != 1 || b != 0 {
		t.Errorf("consume twice: %d, %d", a, b)
	}
	if st := ordStock(t, s, f.limited.ID); st.Held != 0 || st.Sold != 2 {
		t.Errorf("after consume: %+v", st)
	}
	if a, b := release(), release(); a != 1 || b != 0 {
		t.Errorf("release twice: %d, %d", a, b)
	}
	if st := ordStock(t, s, f.limited.ID); st.Held != 0 || st.Sold != 0 {
		t.Errorf("after release: %+v", st)
	}
	got, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	if len(got.Holds) != 1 || got.Holds[0].State != order.HoldReleased {
		t.Errorf("holds = %+v", got.Holds)
	}
	// A held order released directly.
	o2 := ordSample(f, "DEMO-2026-000002", 3)
	ordCreate(t, s, o2)
	must(t, s.InTx(ctx, func(tx *store.Store) error { _, err := tx.ReleaseOrderStock(ctx, o2.ID); return err }))
	if st := ordStock(t, s, f.limited.ID); st.Held != 0 {
		t.Errorf("after releasing held units: %+v", st)
	}
}

func testExpiredHolds(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	mk := func(n string, status order.Status, expires time.Time, paid int64) int64 {
		o := ordSample(f, n, 1)
		o.Holds, o.Status, o.HoldExpiresAt, o.Paid = nil, status, expires, eur(paid)
		ordCreate(t, s, o)
		return o.ID
	}
	past, future := fixed.Add(-time.Minute), fixed.Add(time.Minute)
	a := mk("A", order.StatusPlaced, past, 0)
	b := mk("B", order.StatusPending, past.Add(-time.Hour), 0)
	mk("C", order.StatusPending, future, 0)
	mk("D", order.StatusPartial, past, 100)
	mk("E", order.StatusPending, past, 100)
	mk("F", order.StatusSoldout, past, 12000)
	c := mk("G", order.StatusRefused, fixed, 0)
	mk("H", order.StatusPlaced, time.Time{}, 0)
	ids, err := s.ExpiredHolds(ctx, fixed)
	must(t, err)
	if want := []int64{b, a, c}; !slices.Equal(ids, want) {
		t.Errorf("ExpiredHolds = %v, want %v", ids, want)
	}
}

func testPayments(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	o := ordSample(f, "DEMO-2026-000001", 1)
	ordCreate(t, s, o)
	p := &store.Payment{OrderID: o.ID, Provider: "offline", Amount: eur(5000), ExternalID: "1:CHK-1", Status: store.PaymentSucceeded, Data: map[string]string{"ref": "CHK-1"}}
	must(t, s.AddPayment(ctx, p))
	if p.ID == 0 || p.Kind != store.PaymentKindPayment {
		t.Errorf("payment = %+v", p)
	}
	// A replay conflicts and leaves the transaction usable (PostgreSQL
	// aborts a transaction on a unique violation: the store must not
	// cause one).
	must(t, s.InTx(ctx, func(tx *store.Store) error {
		again := &store.Payment{OrderID: o.ID, Provider: "offline", Amount: eur(5000), ExternalID: "1:CHK-1", Status: store.PaymentSucceeded}
		if err := tx.AddPayment(ctx, again); !errors.Is(err, store.ErrConflict) {
			t.Errorf("replay: %v", err)
		}
		return tx.AddPayment(ctx, &store.Payment{OrderID: o.ID, Provider: "offline", Amount: eur(2000), ExternalID: "1:CHK-2", Status: store.PaymentSucceeded})
	}))
	for _, x := range []*store.Payment{
		{OrderID: o.ID, Provider: "offline", Amount: eur(9999), ExternalID: "1:CHK-3", Status: store.PaymentFailed},
		{OrderID: o.ID, Provider: "offline", Kind: store.PaymentKindRefund, Amount: eur(1000), ExternalID: "1:REF-1", Status: store.PaymentSucceeded},
		{OrderID: o.ID, Provider: "offline", Amount: eur(1), Status: store.PaymentSucceeded}, // no external id: never a conflict
		{OrderID: o.ID, Provider: "offline", Amount: eur(1), Status: store.PaymentSucceeded},
	} {
		must(t, s.AddPayment(ctx, x))
	}
	paid, err := s.PaidAmount(ctx, o.ID, "EUR")
	must(t, err)
	if paid.Amount() != 5000+2000-1000+2 {
		t.Errorf("paid = %v", paid)
	}
	list, err := s.PaymentsOfOrder(ctx, o.ID)
	must(t, err)
	if len(list) != 6 || list[0].ExternalID != "1:CHK-1" || list[0].Data["ref"] != "CHK-1" || !list[0].Amount.Equal(eur(5000)) {
		t.Errorf("ledger = %+v", list)
	}
	got, err := s.PaymentByExternalID(ctx, "offline", "1:CHK-2")
	if err != nil || got.Amount.Amount() != 2000 {
		t.Errorf("PaymentByExternalID = %+v, %v", got, err)
	}
	if _, err := s.PaymentByExternalID(ctx, "stripe", "1:CHK-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other provider: %v", err)
	}
	if none, err := s.PaidAmount(ctx, o.ID+100, "EUR"); err != nil || !none.IsZero() || none.Currency() != "EUR" {
		t.Errorf("paid of unknown order = %v, %v", none, err)
	}
	usd, _ := money.New(100, "USD")
	must(t, s.AddPayment(ctx, &store.Payment{OrderID: o.ID, Provider: "offline", Amount: usd, ExternalID: "1:USD", Status: store.PaymentSucceeded}))
	if _, err := s.PaidAmount(ctx, o.ID, "EUR"); !errors.Is(err, money.ErrCurrencyMismatch) {
		t.Errorf("mixed currencies: %v", err)
	}
}

func testInvoiceNumber(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	a, b := ordSample(f, "A", 1), ordSample(f, "B", 1)
	ordCreate(t, s, a)
	ordCreate(t, s, b)
	must(t, s.SetInvoiceNumber(ctx, a.ID, "F2026-000001", fixed))
	if err := s.SetInvoiceNumber(ctx, a.ID, "F2026-000002", fixed); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second invoice number: %v", err)
	}
	if err := s.SetInvoiceNumber(ctx, b.ID, "F2026-000001", fixed); !errors.Is(err, store.ErrConflict) {
		t.Errorf("invoice number of another order: %v", err)
	}
	got, err := s.OrderByID(ctx, a.ID)
	must(t, err)
	if got.InvoiceNumber != "F2026-000001" || !got.InvoicedAt.Equal(fixed) {
		t.Errorf("invoice = %q at %v", got.InvoiceNumber, got.InvoicedAt)
	}
}

func testOrderEventsAndLines(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := ordFixture(t, s)
	o := ordSample(f, "A", 1)
	ordCreate(t, s, o)
	ev := &order.Event{OrderID: o.ID, Actor: "user:3", Kind: order.EventNote, Message: "called the buyer", Data: map[string]string{"channel": "phone"}}
	must(t, s.AddOrderEvent(ctx, ev))
	if ev.ID == 0 || !ev.At.Equal(fixed) {
		t.Errorf("event = %+v", ev)
	}
	evs, err := s.OrderEvents(ctx, o.ID)
	must(t, err)
	want := []order.Event{
		{ID: evs[0].ID, OrderID: o.ID, At: fixed, Actor: "guest", To: order.StatusPlaced, Kind: order.EventPlaced, Message: "placed", Data: map[string]string{}},
		*ev,
	}
	if diff := cmp.Diff(want, evs, ordOpts); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	must(t, s.SetLineProduction(ctx, o.Lines[0].ID, order.ProductionFailed, "LMS down"))
	must(t, s.SetOrderPaid(ctx, o.ID, eur(700)))
	got, err := s.OrderByID(ctx, o.ID)
	must(t, err)
	if got.Lines[0].Production != order.ProductionFailed || got.Lines[0].ProductionError != "LMS down" || got.Paid.Amount() != 700 {
		t.Errorf("line %+v, paid %v", got.Lines[0], got.Paid)
	}
	if err := s.SetLineProduction(ctx, o.Lines[0].ID+100, order.ProductionDone, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown line: %v", err)
	}
	if err := s.LockOrder(ctx, o.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LockOrder(unknown) = %v", err)
	}
}
