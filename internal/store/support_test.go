package store_test

import (
	"context"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestSupportMessagesOfShop: the sales team's list holds the shop's
// messages since a date, newest first, and no other shop's.
func TestSupportMessagesOfShop(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		now := fixed
		s := newStore(t, testkit.WithClock(func() time.Time { return now }))
		f := ordFixture(t, s)
		other := &catalog.Shop{Code: "other", Name: "Other", Currency: "EUR", CatalogID: f.shop.CatalogID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, other))
		stranger := &customer.Customer{ShopID: other.ID, Contact: customer.Contact{Email: "zed@example.com", FirstName: "Zed", LastName: "Z", Country: "FR"}, Locale: "en"}
		if _, err := s.SaveLead(ctx, stranger); err != nil {
			t.Fatal(err)
		}
		for i, body := range []string{"old", "mid", "new"} {
			now = fixed.AddDate(0, 0, i)
			must(t, s.AddSupportMessage(ctx, &store.SupportMessage{ShopID: f.shop.ID, CustomerID: f.customer, Body: body}))
		}
		must(t, s.AddSupportMessage(ctx, &store.SupportMessage{ShopID: other.ID, CustomerID: stranger.ID, Body: "elsewhere"}))

		bodies := func(since time.Time) []string {
			t.Helper()
			ms, err := s.SupportMessagesOfShop(ctx, f.shop.ID, since)
			must(t, err)
			var out []string
			for _, m := range ms {
				out = append(out, m.Body)
			}
			return out
		}
		if got := bodies(time.Time{}); len(got) != 3 || got[0] != "new" || got[2] != "old" {
			t.Errorf("all: %v", got)
		}
		if got := bodies(fixed.AddDate(0, 0, 1)); len(got) != 2 || got[0] != "new" || got[1] != "mid" {
			t.Errorf("since the second day: %v", got)
		}
	})
}
