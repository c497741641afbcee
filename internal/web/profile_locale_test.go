package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"courseshop/internal/demo"
	"courseshop/internal/mail"
	"courseshop/internal/store"
)

// TestProfileLanguage: the customer chooses the language of the shop's
// mails in their profile among the shop's languages; a checkout in
// another page language keeps the choice, and the order's mails follow
// it.
func TestProfileLanguage(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	signInLearner(t, b)
	buy(t, b, "BOOK-PM", "1", "check")
	_, page := b.get("/shop/demo/account/profile")
	if !strings.Contains(page, `<option value="en" lang="en" selected>English</option>`) || !strings.Contains(page, `<option value="fr" lang="fr">Français</option>`) ||
		!strings.Contains(text(page), "Language of our e-mails") {
		t.Fatalf("profile language choice:\n%s", page)
	}
	form := func(locale string) url.Values {
		return url.Values{"email": {demo.LearnerEmail}, "first_name": {"Camille"}, "last_name": {"Durand"}, "city": {"Lyon"}, "country": {"FR"}, "locale": {locale}}
	}
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	locale := func() string {
		t.Helper()
		c, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail)
		if err != nil {
			t.Fatal(err)
		}
		return c.Locale
	}

	code, page, _ := b.do("POST", "/shop/demo/account/profile", form("de"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "Choose one of the languages offered") || !strings.Contains(page, `value="Lyon"`) {
		t.Errorf("a language the shop does not offer: %d\n%s", code, text(page))
	}
	if got := locale(); got != "en" {
		t.Errorf("refused language saved: %q", got)
	}

	if _, page = b.post("/shop/demo/account/profile", form("fr")); !strings.Contains(text(page), "Your profile is saved") {
		t.Fatalf("save:\n%s", text(page))
	}
	if got := locale(); got != "fr" {
		t.Fatalf("customer locale after save = %q, want fr", got)
	}
	if _, page = b.get("/shop/demo/account/profile"); !strings.Contains(page, `<option value="fr" lang="fr" selected>`) {
		t.Errorf("the saved language is not selected:\n%s", page)
	}

	// The pages stay in English; a new order (its customer step included)
	// keeps the choice, and its mail to the customer is in French.
	number := buy(t, b, "BOOK-PM", "1", "check")
	if got := locale(); got != "fr" {
		t.Errorf("checkout in English reset the customer locale to %q", got)
	}
	o, err := ts.store.OrderByNumber(ctx, sh.ID, number)
	if err != nil || o.Locale != "fr" {
		t.Fatalf("order %s: locale %q, %v", number, o.Locale, err)
	}
	mails, err := ts.store.Mails(ctx, store.MailFilter{To: demo.LearnerEmail, RefType: "order", RefID: strconv.FormatInt(o.ID, 10)})
	if err != nil {
		t.Fatal(err)
	}
	var placed *store.OutboxMail
	for _, m := range mails {
		if m.Kind == mail.KindOrderPlaced {
			placed = m
		}
	}
	if placed == nil || placed.Locale != "fr" || !strings.HasPrefix(placed.Subject, "Votre commande "+number) {
		t.Errorf("order mail: %+v", placed)
	}
}
