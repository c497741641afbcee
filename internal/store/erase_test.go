package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"courseshop/internal/customer"
	"courseshop/internal/order"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestCreatedAccounts: the shop's record of the LMS accounts it created
// keeps whom each was first made for.
func TestCreatedAccounts(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithClock(clock()))
		f := ordFixture(t, s)
		site := f.shop.Site().Key()
		must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: site, UserRef: "7", CustomerID: f.customer, Role: store.CreatedForBuyer}))
		must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: site, UserRef: "7", Role: store.CreatedForLearner})) // no change
		must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: site, UserRef: "8", Role: store.CreatedForLearner}))
		a, err := s.ShopAccountByRef(ctx, site, "7")
		if err != nil || a.CustomerID != f.customer || a.Role != store.CreatedForBuyer || !a.CreatedAt.Equal(fixed) {
			t.Errorf("account 7: %+v, %v", a, err)
		}
		if a, err := s.ShopAccountByRef(ctx, site, "8"); err != nil || a.CustomerID != 0 || a.Role != store.CreatedForLearner {
			t.Errorf("account 8: %+v, %v", a, err)
		}
		if _, err := s.ShopAccountByRef(ctx, site, "9"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an account the shop did not create: %v", err)
		}
	})
}

// TestAccountServesOthers: an account serves another customer when it is
// bound to them or learns through one of their live instances.
func TestAccountServesOthers(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithClock(clock()))
		f := ordFixture(t, s)
		if _, err := s.BindCustomer(ctx, f.customer, "7", fixed); err != nil {
			t.Fatal(err)
		}
		other := &customer.Customer{ShopID: f.shop.ID, Contact: customer.Contact{Email: "hr@example.com", FirstName: "Hana", LastName: "Rh", Country: "FR"}, Locale: "en"}
		if _, err := s.SaveLead(ctx, other); err != nil {
			t.Fatal(err)
		}
		site := f.shop.Site().Key()
		serves := func(when, ref string, customerID int64, want bool) {
			t.Helper()
			if got, err := s.AccountServesOthers(ctx, site, ref, customerID); err != nil || got != want {
				t.Errorf("%s: AccountServesOthers(%s, %d) = %v, %v; want %v", when, ref, customerID, got, err, want)
			}
		}
		serves("its own customer's account", "7", f.customer, false)
		serves("bound to another customer", "7", other.ID, true)
		for i, ref := range []string{"12:17", "13:37"} {
			state := store.InstanceExpired
			if i == 1 {
				state = store.InstanceRunning
			}
			must(t, s.CreateInstance(ctx, &store.Instance{CustomerID: other.ID, UnitKey: ref, Handler: "enrol",
				LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: ref, State: state}, "system"))
		}
		serves("another customer's ended enrolment", "17", f.customer, false)
		serves("another customer's running enrolment", "37", f.customer, true)
		serves("refs that merely end alike", "7", f.customer, false)
		must(t, s.CreateInstance(ctx, &store.Instance{CustomerID: other.ID, UnitKey: "s1", Handler: "seat_pool",
			LMSObjectType: store.LMSObjectSeat, SeatLearnerRef: "7", State: store.InstanceRunning}, "system"))
		serves("learner of another customer's seat", "7", f.customer, true)
		serves("nobody's", "27", f.customer, false)
		// Account 7 of another platform is another account.
		if got, err := s.AccountServesOthers(ctx, "moodle:https://east.example", "7", f.customer); err != nil || got {
			t.Errorf("account 7 of another platform: %v, %v", got, err)
		}
	})
}

// TestEraseCustomer: erasure empties the customer and frees their e-mail,
// writes the erased orders, instances and histories it is given, clears
// messages, production details, carts, sign-in links and mails, deletes
// private documents, and touches nothing of another customer; the orders
// still count as the customer's.
func TestEraseCustomer(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithClock(clock()))
		f := ordFixture(t, s)
		if _, err := s.BindCustomer(ctx, f.customer, "7", fixed); err != nil {
			t.Fatal(err)
		}
		invoiced := ordSample(f, "DEMO-1", 1)
		invoiced.Status, invoiced.Test, invoiced.InvoiceNumber, invoiced.InvoicedAt = order.StatusComplete, false, "F2026-000001", fixed
		cancelled := ordSample(f, "DEMO-2", 1)
		cancelled.Status, cancelled.Test = order.StatusCancelled, false
		for _, o := range []*order.Order{invoiced, cancelled} {
			ordCreate(t, s, o)
		}
		must(t, s.AddOrderEvent(ctx, &order.Event{OrderID: invoiced.ID, At: fixed, Actor: "system", Kind: order.EventProduction,
			Message: "buyer account: ann", Data: map[string]string{"username": "ann"}}))
		in := &store.Instance{CustomerID: f.customer, OrderLineID: invoiced.Lines[0].ID, UnitKey: "u1", Handler: "enrol",
			Data: map[string]string{"learner": "Bo Li", "user": "9", "course": "X"}}
		must(t, s.CreateInstance(ctx, in, "system"))
		must(t, s.AddInstanceEvent(ctx, &store.InstanceEvent{InstanceID: in.ID, Kind: store.InstanceEventSeatAssigned,
			Data: map[string]string{"email": "bo@example.com", "user": "9"}}))
		must(t, s.AddSupportMessage(ctx, &store.SupportMessage{ShopID: f.shop.ID, CustomerID: f.customer, About: "DEMO-1", Body: "Where is my book?"}))
		for _, m := range []*store.OutboxMail{newMail("Ann@Example.com", "999"), newMail("sales@example.com", strconv.FormatInt(invoiced.ID, 10)), newMail("bob@example.com", "998")} {
			m.ShopID = f.shop.ID
			must(t, s.EnqueueMail(ctx, m))
		}
		for _, h := range []string{"cart-of-ann", "cart-of-bob"} {
			must(t, s.CreateCart(ctx, &store.Cart{ShopID: f.shop.ID, ExpiresAt: fixed.AddDate(0, 0, 30)}, h))
		}
		must(t, s.CreateSigninToken(ctx, "link-of-ann", store.SigninToken{ShopID: f.shop.ID, EmailNorm: "ann@example.com", LMSUserRef: "7", ExpiresAt: fixed.Add(1e12)}))
		bob := &customer.Customer{ShopID: f.shop.ID, Contact: customer.Contact{Email: "bob@example.com", FirstName: "Bob", LastName: "Ray", Country: "FR"}, Locale: "en"}
		if _, err := s.SaveLead(ctx, bob); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*store.Document{
			{ShopID: f.shop.ID, CustomerID: f.customer, FileName: "contract.pdf", Body: []byte("%PDF ann")},
			{ShopID: f.shop.ID, CustomerID: f.customer, InstanceID: in.ID, FileName: "certificate.pdf", Body: []byte("%PDF bo")},
			{ShopID: f.shop.ID, CustomerID: bob.ID, FileName: "bob.pdf", Body: []byte("%PDF bob")},
		} {
			must(t, s.AttachDocument(ctx, d))
		}

		cust, err := s.CustomerByID(ctx, f.customer)
		must(t, err)
		e := &store.Erasure{Customer: cust, CartTokenHash: "cart-of-ann"}
		e.Orders, err = s.OrdersOfCustomer(ctx, cust.ID)
		must(t, err)
		for _, o := range e.Orders {
			o.ErasePersonalData()
		}
		e.Instances, err = s.InstancesOfCustomer(ctx, cust.ID)
		must(t, err)
		delete(e.Instances[0].Data, "learner")
		e.InstanceEvents, err = s.CustomerInstanceEvents(ctx, cust.ID, store.InstanceEventSeatAssigned)
		must(t, err)
		delete(e.InstanceEvents[0].Data, "email")
		n, err := s.EraseCustomer(ctx, e)
		must(t, err)
		if *n != (store.ErasureCounts{Messages: 1, Carts: 1, Mails: 2, SigninTokens: 1, OrderEvents: 1, Jobs: 0, Managers: 0, Documents: 2}) {
			t.Errorf("counts %+v", *n)
		}

		got, err := s.CustomerByID(ctx, cust.ID)
		must(t, err)
		if got.Contact != (customer.Contact{}) || got.Invoicing != nil || got.Bound() || got.ShopID != f.shop.ID || !got.CreatedAt.Equal(cust.CreatedAt) {
			t.Errorf("erased customer %+v", got)
		}
		if _, err := s.CustomerByEmail(ctx, f.shop.ID, "ann@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the e-mail still finds the erased customer: %v", err)
		}
		if _, err := s.CustomerByUser(ctx, f.shop.ID, "7"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the user still finds the erased customer: %v", err)
		}
		again := &customer.Customer{ShopID: f.shop.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Ann", LastName: "New", Country: "FR"}, Locale: "en"}
		if created, err := s.SaveLead(ctx, again); err != nil || !created || again.ID == cust.ID {
			t.Errorf("the address buys again: created %v, id %d, %v", created, again.ID, err)
		}
		if _, err := s.BindCustomer(ctx, cust.ID, "8", fixed); !errors.Is(err, store.ErrBoundElsewhere) {
			t.Errorf("an erased customer was bound again: %v", err)
		}

		os, err := s.OrdersOfCustomer(ctx, cust.ID)
		must(t, err)
		if len(os) != 2 {
			t.Fatalf("%d orders of the erased customer, want 2", len(os))
		}
		for _, o := range os {
			l := o.Lines[0].Snapshot
			if !o.Customer.IsZero() || o.LMSUserRef != "" || l.Answers != nil || l.Participants != nil || !o.Total.Equal(invoiced.Total) {
				t.Errorf("order %s: customer %+v, user %q, line %+v, total %v", o.Number, o.Customer, o.LMSUserRef, l, o.Total)
			}
			want := (*order.Identity)(nil)
			if o.Number == "DEMO-1" {
				want = &order.Identity{Organisation: "ACME", Department: "HR", VATNumber: "FR123", Address: "1 rue", City: "Paris", Country: "FR"}
				if o.InvoiceNumber != "F2026-000001" {
					t.Errorf("invoice number %q", o.InvoiceNumber)
				}
			}
			if (o.Invoicing == nil) != (want == nil) || want != nil && *o.Invoicing != *want {
				t.Errorf("order %s invoicing %+v, want %+v", o.Number, o.Invoicing, want)
			}
		}
		evs, err := s.OrderEvents(ctx, invoiced.ID)
		must(t, err)
		for _, ev := range evs {
			if ev.Kind == order.EventProduction && (ev.Message != store.ErasedEvent || len(ev.Data) != 0) {
				t.Errorf("production event %+v", ev)
			}
			if ev.Kind == order.EventPlaced && ev.Message != "placed" {
				t.Errorf("placed event changed: %+v", ev)
			}
		}
		ins, err := s.InstancesOfCustomer(ctx, cust.ID)
		must(t, err)
		if d := ins[0].Data; d["learner"] != "" || d["user"] != "9" || d["course"] != "X" || ins[0].Reference != in.Reference {
			t.Errorf("instance %s data %v", ins[0].Reference, d)
		}
		hist, err := s.InstanceEvents(ctx, in.ID)
		must(t, err)
		for _, ev := range hist {
			if ev.Data["email"] != "" {
				t.Errorf("history keeps the e-mail: %+v", ev)
			}
		}
		msgs, err := s.SupportMessagesOfCustomer(ctx, cust.ID)
		if err != nil || len(msgs) != 1 || msgs[0].Body != "" {
			t.Errorf("support messages %+v, %v", msgs, err)
		}
		for _, tc := range []struct {
			f    store.MailFilter
			want int
		}{
			{store.MailFilter{To: "ann@example.com"}, 0},
			{store.MailFilter{RefType: "order", RefID: strconv.FormatInt(invoiced.ID, 10)}, 0},
			{store.MailFilter{To: "bob@example.com"}, 1},
		} {
			if ms, err := s.Mails(ctx, tc.f); err != nil || len(ms) != tc.want {
				t.Errorf("mails %+v: %d, %v; want %d", tc.f, len(ms), err, tc.want)
			}
		}
		if _, err := s.CartByToken(ctx, f.shop.ID, "cart-of-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the asking browser's cart: %v", err)
		}
		if _, err := s.CartByToken(ctx, f.shop.ID, "cart-of-bob"); err != nil {
			t.Errorf("another cart: %v", err)
		}
		if n, err := s.CountSigninTokens(ctx, f.shop.ID, "ann@example.com", fixed.AddDate(-1, 0, 0)); err != nil || n != 0 {
			t.Errorf("sign-in links: %d, %v", n, err)
		}
		if ds, err := s.Documents(ctx, store.DocumentFilter{ShopID: f.shop.ID}); err != nil || len(ds) != 1 || ds[0].CustomerID != bob.ID {
			t.Errorf("documents left: %+v, %v", ds, err)
		}
		if b, err := s.CustomerByEmail(ctx, f.shop.ID, "bob@example.com"); err != nil || b.FirstName != "Bob" {
			t.Errorf("another customer: %+v, %v", b, err)
		}

		if _, err := s.EraseCustomer(ctx, e); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erasing twice: %v", err)
		}
	})
}
