package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

func TestLifecycleStore(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *store.Store, *lcClock){
			"ChangeInstance":   testChangeInstance,
			"InstancesRestate": testInstancesToRestate,
			"ShopAccounts":     testShopAccounts,
			"AccountsInUse":    testAccountsInUse,
			"RenewalsDue":      testRenewalsDue,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c := &lcClock{now: fixed}
				fn(t, newStore(t, testkit.WithClock(c.Now)), c)
			})
		}
	})
}

type lcClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lcClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *lcClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

const day = 24 * time.Hour

// lcInstance creates an instance of the fixture's customer.
func lcInstance(t *testing.T, s *store.Store, customerID int64, in store.Instance) *store.Instance {
	t.Helper()
	in.CustomerID = customerID
	if in.Handler == "" {
		in.Handler = "enrol_one_course"
	}
	must(t, s.CreateInstance(context.Background(), &in, "test"))
	return &in
}

func testChangeInstance(t *testing.T, s *store.Store, _ *lcClock) {
	ctx := context.Background()
	f := ordFixture(t, s)
	in := lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: "7:12",
		Start: fixed.Add(-day), End: fixed.Add(10 * day), State: store.InstanceRunning})
	in.State = store.InstanceExpiring
	must(t, s.ChangeInstance(ctx, in, store.InstanceRunning, false, &store.InstanceEvent{Kind: store.InstanceEventStateChanged, Actor: "t",
		Data: map[string]string{"to": "expiring"}}))
	got, err := s.InstanceByReference(ctx, in.Reference)
	must(t, err)
	if got.State != store.InstanceExpiring || got.Deleted {
		t.Errorf("after change: %+v", got)
	}
	// From a state it no longer has: nothing changes.
	in.State = store.InstanceExpired
	if err := s.ChangeInstance(ctx, in, store.InstanceRunning, false, nil); !errors.Is(err, store.ErrInstanceChanged) {
		t.Errorf("change from a stale state: %v", err)
	}
	// Dates changed meanwhile (an extension): nothing changes.
	stale := *in
	stale.End = fixed.Add(5 * day)
	if err := s.ChangeInstance(ctx, &stale, store.InstanceExpiring, false, nil); !errors.Is(err, store.ErrInstanceChanged) {
		t.Errorf("change with stale dates: %v", err)
	}
	// Deleted, with data, from the right state.
	in.State, in.Deleted, in.Data = store.InstanceDeleted, true, map[string]string{"deleted": "soft"}
	must(t, s.ChangeInstance(ctx, in, store.InstanceExpiring, false, &store.InstanceEvent{Kind: store.InstanceEventSoftDeleted, Actor: "admin"}))
	got, err = s.InstanceByReference(ctx, in.Reference)
	must(t, err)
	if got.State != store.InstanceDeleted || !got.Deleted || got.Data["deleted"] != "soft" {
		t.Errorf("after deletion: %+v", got)
	}
	evs, err := s.InstanceEvents(ctx, in.ID)
	must(t, err)
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	if want := []string{store.InstanceEventBilled, store.InstanceEventStateChanged, store.InstanceEventSoftDeleted}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	// An instance without dates (a free seat) is matched too.
	seat := lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, Handler: "seat_pool", LMSObjectType: store.LMSObjectSeat,
		State: store.InstancePending})
	seat.State, seat.Deleted = store.InstanceDeleted, true
	must(t, s.ChangeInstance(ctx, seat, store.InstancePending, false, nil))
	must(t, s.LockInstance(ctx, seat.ID))
	if err := s.LockInstance(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lock a missing instance: %v", err)
	}
}

func testInstancesToRestate(t *testing.T, s *store.Store, _ *lcClock) {
	ctx := context.Background()
	f := ordFixture(t, s)
	now, soon := fixed, fixed.Add(30*day)
	mk := func(state store.InstanceState, start, end time.Time) *store.Instance {
		return lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: "1:2",
			Start: start, End: end, State: state})
	}
	var none time.Time
	want := []*store.Instance{
		mk(store.InstancePending, now.Add(-time.Hour), now.Add(90*day)),  // started
		mk(store.InstanceRunning, now.Add(-day), now.Add(10*day)),        // ends soon
		mk(store.InstanceRunning, now.Add(-day), now.Add(-time.Minute)),  // ended
		mk(store.InstanceExpiring, now.Add(-day), now.Add(-time.Minute)), // ended
		mk(store.InstanceExpiring, now.Add(-day), now.Add(60*day)),       // extended
		mk(store.InstanceExpired, now.Add(-day), now.Add(60*day)),        // extended
		mk(store.InstanceExpired, now.Add(-day), none),                   // no end any more
		mk(store.InstanceRunning, now.Add(day), now.Add(90*day)),         // moved to the future
	}
	// In their right state already.
	mk(store.InstancePending, now.Add(day), now.Add(90*day))
	mk(store.InstanceRunning, now.Add(-day), none)
	mk(store.InstanceRunning, now.Add(-day), now.Add(31*day))
	mk(store.InstanceExpiring, now.Add(-day), now.Add(29*day))
	mk(store.InstanceExpired, now.Add(-day), now.Add(-day))
	lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectSeat, State: store.InstancePending})
	gone := mk(store.InstanceRunning, now.Add(-day), now.Add(-time.Minute))
	gone.State, gone.Deleted = store.InstanceDeleted, true
	must(t, s.ChangeInstance(ctx, gone, store.InstanceRunning, false, nil))

	got, err := s.InstancesToRestate(ctx, now, soon)
	must(t, err)
	var gotIDs, wantIDs []int64
	for _, in := range got {
		gotIDs = append(gotIDs, in.ID)
	}
	for _, in := range want {
		wantIDs = append(wantIDs, in.ID)
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("instances to restate %v, want %v", gotIDs, wantIDs)
	}
}

func testShopAccounts(t *testing.T, s *store.Store, c *lcClock) {
	ctx := context.Background()
	const local = "local:"
	if _, err := s.ShopAccountByRef(ctx, local, "41"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: local, UserRef: "41"}))
	c.Advance(day)
	must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: local, UserRef: "41"})) // again: unchanged
	must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: local, UserRef: "42"}))
	a, err := s.ShopAccountByRef(ctx, local, "41")
	must(t, err)
	if !a.CreatedAt.Equal(fixed) || !a.ActiveSince.Equal(fixed) || !a.SuspendedAt.IsZero() {
		t.Errorf("account 41: %+v", a)
	}
	idle := func(cutoff time.Time) []string {
		t.Helper()
		as, err := s.IdleShopAccounts(ctx, cutoff)
		must(t, err)
		var refs []string
		for _, a := range as {
			refs = append(refs, a.UserRef)
		}
		return refs
	}
	if got := idle(fixed); !slices.Equal(got, []string{"41"}) {
		t.Errorf("idle at the first day: %v", got)
	}
	if got := idle(fixed.Add(day)); !slices.Equal(got, []string{"41", "42"}) {
		t.Errorf("idle at the second day: %v", got)
	}
	// A mark needs the account idle since the cutoff and active.
	if _, ok, err := s.MarkShopAccountSuspended(ctx, local, "42", fixed); err != nil || ok {
		t.Errorf("mark an account active after the cutoff: %v %v", ok, err)
	}
	at, ok, err := s.MarkShopAccountSuspended(ctx, local, "41", fixed)
	if err != nil || !ok || !at.Equal(fixed.Add(day)) {
		t.Fatalf("mark 41: %v %v %v", at, ok, err)
	}
	if _, ok, _ := s.MarkShopAccountSuspended(ctx, local, "41", fixed); ok {
		t.Error("marked twice")
	}
	if got := idle(fixed.Add(day)); !slices.Equal(got, []string{"42"}) {
		t.Errorf("idle after the suspension: %v", got)
	}
	must(t, s.UnmarkShopAccountSuspended(ctx, local, "41", at.Add(time.Second))) // another mark's time: kept
	if a, _ := s.ShopAccountByRef(ctx, local, "41"); !a.SuspendedAt.Equal(at) {
		t.Errorf("unmarked with another time: %+v", a)
	}
	must(t, s.UnmarkShopAccountSuspended(ctx, local, "41", at))
	if a, _ := s.ShopAccountByRef(ctx, local, "41"); !a.SuspendedAt.IsZero() {
		t.Errorf("not unmarked: %+v", a)
	}
	_, _, err = s.MarkShopAccountSuspended(ctx, local, "41", fixed)
	must(t, err)
	c.Advance(day)
	must(t, s.TouchShopAccount(ctx, local, "41"))
	must(t, s.TouchShopAccount(ctx, local, "99")) // not the shop's: nothing
	if a, _ := s.ShopAccountByRef(ctx, local, "41"); !a.SuspendedAt.IsZero() || !a.ActiveSince.Equal(fixed.Add(2*day)) {
		t.Errorf("after a touch: %+v", a)
	}
	if _, err := s.ShopAccountByRef(ctx, local, "99"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a touch recorded an account: %v", err)
	}
	if err := s.RecordShopAccount(ctx, &store.ShopAccount{Site: local, UserRef: ""}); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("record no account: %v", err)
	}

	// Account ids are unique on one platform only: account 41 of a Moodle
	// site is another account, with a record of its own.
	const east = "moodle:https://east.example"
	must(t, s.RecordShopAccount(ctx, &store.ShopAccount{Site: east, UserRef: "41", Role: store.CreatedForBuyer}))
	e41, err := s.ShopAccountByRef(ctx, east, "41")
	if err != nil || e41.Role != store.CreatedForBuyer || !e41.ActiveSince.Equal(fixed.Add(2*day)) {
		t.Fatalf("east's 41: %+v, %v", e41, err)
	}
	c.Advance(day)
	if _, ok, err := s.MarkShopAccountSuspended(ctx, east, "41", fixed.Add(2*day)); err != nil || !ok {
		t.Fatalf("mark east's 41: %v %v", ok, err)
	}
	if a, _ := s.ShopAccountByRef(ctx, local, "41"); !a.SuspendedAt.IsZero() {
		t.Errorf("marking east's 41 marked the local 41: %+v", a)
	}
	must(t, s.TouchShopAccount(ctx, local, "41"))
	if a, _ := s.ShopAccountByRef(ctx, east, "41"); a.SuspendedAt.IsZero() {
		t.Errorf("touching the local 41 touched east's: %+v", a)
	}
}

func testAccountsInUse(t *testing.T, s *store.Store, _ *lcClock) {
	ctx := context.Background()
	f := ordFixture(t, s)
	_, err := s.BindCustomer(ctx, f.customer, "10", fixed)
	must(t, err)
	other := &customer.Customer{ShopID: f.shop.ID, Contact: customer.Contact{Email: "org@example.com"}, Locale: "en"}
	_, err = s.SaveLead(ctx, other)
	must(t, err)
	_, err = s.BindCustomer(ctx, other.ID, "20", fixed)
	must(t, err)
	must(t, s.CreateInvitation(ctx, "tok21", &store.Invitation{CustomerID: other.ID, Email: "m21@example.com", InvitedBy: "20"}, day))
	_, err = s.AcceptInvitation(ctx, f.shop.ID, "tok21", "21") // 21 manages the organisation
	must(t, err)
	cutoff := fixed.Add(-30 * day)
	var none time.Time
	// The customer's account: an enrolment of learner 11 ended after
	// the cutoff, a seat of learner 12 without end, a role of user 13.
	lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: "5:11",
		Start: cutoff.Add(-day), End: cutoff.Add(time.Hour), State: store.InstanceExpired})
	lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectSeat, LMSObjectRef: "5:12",
		SeatLearnerRef: "12", Start: cutoff, End: none, State: store.InstanceRunning})
	lcInstance(t, s, f.customer, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectRole, LMSObjectRef: "course:5:editingteacher:13",
		Start: cutoff, State: store.InstanceRunning})
	// The organisation's: ended before the cutoff (learner 22), and a
	// deleted one (learner 23): neither counts, nor do its account and
	// its manager.
	lcInstance(t, s, other.ID, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: "5:22",
		Start: cutoff.Add(-90 * day), End: cutoff, State: store.InstanceExpired})
	gone := lcInstance(t, s, other.ID, store.Instance{ProductID: f.open.ID, LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: "5:23",
		Start: cutoff, State: store.InstanceRunning})
	gone.State, gone.Deleted = store.InstanceDeleted, true
	must(t, s.ChangeInstance(ctx, gone, store.InstanceRunning, false, nil))

	site := f.shop.Site().Key()
	key := func(ref string) store.AccountKey { return store.AccountKey{Site: site, UserRef: ref} }
	got, err := s.AccountsInUse(ctx, cutoff)
	must(t, err)
	if want := map[store.AccountKey]bool{key("10"): true, key("11"): true, key("12"): true, key("13"): true}; !maps.Equal(got, want) {
		t.Errorf("accounts in use %v, want %v", got, want)
	}
	// A licence of the organisation without end: its account and its
	// manager are in use now.
	lcInstance(t, s, other.ID, store.Instance{ProductID: f.open.ID, Handler: "registered_product", LMSObjectType: store.LMSObjectRegistered,
		Start: cutoff, State: store.InstanceRunning})
	got, err = s.AccountsInUse(ctx, cutoff)
	must(t, err)
	if !got[key("20")] || !got[key("21")] || got[key("22")] || got[key("23")] {
		t.Errorf("accounts in use with the licence: %v", got)
	}
	// In use on the shop's platform, not on another one.
	if got[store.AccountKey{Site: "moodle:https://east.example", UserRef: "10"}] {
		t.Errorf("account 10 in use on another platform: %v", got)
	}
}

func testRenewalsDue(t *testing.T, s *store.Store, _ *lcClock) {
	ctx := context.Background()
	f := ordFixture(t, s)
	renewable := &catalog.Product{CatalogID: f.shop.CatalogID, Code: "REN", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, Renewable: true, Prices: []catalog.Tier{{Unit: eur(10000)}},
		Texts: catalog.Texts{"en": {Name: "Renewable"}, "fr": {Name: "Renouvelable"}}}
	must(t, s.CreateProduct(ctx, renewable))
	texts, err := s.ProductTexts(ctx, renewable.ID)
	must(t, err)
	if texts.In("fr", "en").Name != "Renouvelable" || len(texts) != 2 {
		t.Errorf("product texts %+v", texts)
	}
	mk := func(p *catalog.Product, kind string, end time.Time) *store.Instance {
		return lcInstance(t, s, f.customer, store.Instance{ProductID: p.ID, LMSObjectType: kind, LMSObjectRef: "5:10",
			Start: fixed.Add(-90 * day), End: end, State: store.InstanceRunning})
	}
	due := mk(renewable, store.LMSObjectEnrolment, fixed.Add(10*day))
	mk(renewable, store.LMSObjectEnrolment, fixed.Add(20*day))     // later than the window
	mk(renewable, store.LMSObjectEnrolment, fixed.Add(-time.Hour)) // ended
	mk(renewable, store.LMSObjectRegistered, fixed.Add(10*day))    // not an enrolment
	mk(f.open, store.LMSObjectEnrolment, fixed.Add(10*day))        // not renewable
	gone := mk(renewable, store.LMSObjectEnrolment, fixed.Add(10*day))
	gone.State, gone.Deleted = store.InstanceDeleted, true
	must(t, s.ChangeInstance(ctx, gone, store.InstanceRunning, false, nil))

	got, err := s.RenewalsDue(ctx, fixed, fixed.Add(14*day))
	must(t, err)
	if len(got) != 1 || got[0].ID != due.ID {
		t.Errorf("renewals due %+v, want instance %d", got, due.ID)
	}
}
