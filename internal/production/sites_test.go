package production_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/lms/moodletest"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/testkit"
)

// TestProductionSites runs, in one engine, the orders of three shops on
// three platforms: two on their own fake Moodle site, one on the built-in
// LMS. Each order is produced on its shop's platform alone.
func TestProductionSites(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		e := newEnv(t, newStore)
		local := e.shop
		type site struct {
			srv    *moodletest.Server
			shop   *catalog.Shop
			course int64
		}
		sites := map[string]*site{}
		tokens := map[string]string{}
		for _, code := range []string{"east", "west"} {
			srv := moodletest.New(moodletest.Options{})
			t.Cleanup(srv.Close)
			sh := *local
			sh.ID, sh.Code, sh.LMSConnector, sh.MoodleURL = 0, code, lms.ConnectorMoodle, srv.URL()
			must(t, e.st.CreateShop(e.ctx, &sh))
			course := srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "PM on " + code, Visible: true})
			sites[code] = &site{srv: srv, shop: &sh, course: course}
			tokens[srv.URL()] = srv.Token()
		}
		dialled := 0
		dir := lms.NewDirectory(e.conn, func(sh lms.ShopSite) (lms.Access, error) {
			u, err := url.Parse(sh.MoodleURL)
			if err != nil || tokens[sh.MoodleURL] == "" {
				return lms.Access{}, fmt.Errorf("no token for %q", sh.MoodleURL)
			}
			return lms.Access{URL: u, Token: tokens[sh.MoodleURL]}, nil
		}, func(a lms.Access) lms.Connector {
			dialled++
			return moodle.New(a.URL, a.Token, moodle.Options{RateLimit: -1, Timeout: moodleTimeout})
		})
		e.eng = production.New(e.st, dir, e.outbox, production.Options{Now: e.clock.Now, MaxAttempts: 2, LMSURL: "https://lab.test"})
		e.svc = orders.New(e.st, payment.NewRegistry(payment.Builtin()...), orders.Options{Now: e.clock.Now, Production: e.eng})
		e.eng.UseOrders(e.svc)

		buyers := map[*catalog.Shop]string{sites["east"].shop: "ann@example.com", sites["west"].shop: "bob@example.com", local: "cid@example.com"}
		customers := map[string]*customer.Customer{}
		for _, sh := range []*catalog.Shop{sites["east"].shop, sites["west"].shop, local} {
			email := buyers[sh]
			e.shop = sh
			customers[email] = e.lead(t, email, "First", "Last")
			e.place(t, customers[email], "", "PM", 1)
		}
		e.drain(t, e.eng)

		for code, s := range sites {
			var got []string
			for _, u := range s.srv.Users() {
				if u.ID > 3 { // past the guest, the administrator and the shop's user
					got = append(got, u.Email)
					if en, ok := s.srv.Enrolment(u.ID, s.course); !ok || en.Role != "student" {
						t.Errorf("%s: %s not enrolled in PM101: %+v", code, u.Email, en)
					}
				}
			}
			if want := buyers[s.shop]; len(got) != 1 || got[0] != want {
				t.Errorf("site of %s has the accounts %v, want %s alone", code, got, want)
			}
		}
		if us, err := e.conn.UsersByEmail(e.ctx, "cid@example.com"); err != nil || len(us) != 1 {
			t.Fatalf("built-in LMS: %v, %v", us, err)
		}
		for _, email := range []string{"ann@example.com", "bob@example.com"} {
			if us, _ := e.conn.UsersByEmail(e.ctx, email); len(us) != 0 {
				t.Errorf("the built-in LMS has %s, a Moodle shop's buyer", email)
			}
		}
		if e.conn.enrolN != 1 {
			t.Errorf("%d enrolments in the built-in LMS, want the local shop's one", e.conn.enrolN)
		}
		if dialled != 2 {
			t.Errorf("%d Moodle clients made, want one per site", dialled)
		}

		// The accounts of the two sites have the same id: each is
		// recorded, kept active, suspended and reactivated on its own site.
		ann, bob := siteUser(t, sites["east"].srv, "ann@example.com"), siteUser(t, sites["west"].srv, "bob@example.com")
		if ann.ID != bob.ID {
			t.Fatalf("ann is %d on east, bob %d on west: the sites were meant to give the same id", ann.ID, bob.ID)
		}
		lc := production.New(e.st, dir, e.outbox, production.Options{Now: e.clock.Now, AccountGrace: 30 * day, ShopURL: "https://shop.lab.test/", LifecycleCheck: -1})
		lc.UseOrders(e.svc)
		e.clock.Add(61 * day) // past the 30 days of PM and the grace
		buyAgain := func(site, email string) {
			t.Helper()
			e.shop = sites[site].shop
			o := e.place(t, customers[email], "", "PM", 1) // a bound customer: their account
			e.drain(t, e.eng)
			e.complete(t, o)
		}
		buyAgain("west", "bob@example.com") // bob's account is in use again; ann's stays idle
		e.lifecycle(t, lc)
		if u, _ := sites["east"].srv.User(ann.ID); !u.Suspended {
			t.Error("ann's idle account on east was not suspended: bob's on west, in use, has the same id")
		}
		if u, _ := sites["west"].srv.User(bob.ID); u.Suspended {
			t.Error("bob's account on west, in use, was suspended")
		}
		// Ann buys again: the shop suspended her account, it reactivates it.
		buyAgain("east", "ann@example.com")
		if u, _ := sites["east"].srv.User(ann.ID); u.Suspended {
			t.Error("ann's account, which the shop suspended, was not reactivated by her purchase")
		}
		// West's administrator suspends bob, who buys again: the shop
		// did not suspend his account, so it does not reactivate it.
		westURL, err := url.Parse(sites["west"].srv.URL())
		must(t, err)
		admin := moodle.New(westURL, sites["west"].srv.Token(), moodle.Options{RateLimit: -1})
		must(t, admin.SetSuspended(e.ctx, strconv.FormatInt(bob.ID, 10), true))
		buyAgain("west", "bob@example.com")
		if u, _ := sites["west"].srv.User(bob.ID); !u.Suspended {
			t.Error("the shop reactivated bob's account, which west's administrator suspended")
		}
	})
}
