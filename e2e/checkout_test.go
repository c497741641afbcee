package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestGuestBuysWithCheck: a guest buys a product, pays by check, and is
// shown the instructions: payee, address, amount and reference.
func TestGuestBuysWithCheck(t *testing.T) {
	ctx := newBrowser(t)
	base := startShop(t)
	step, text := actions(t, ctx)
	step("open a product", chromedp.Navigate(base+"/shop/demo/p/BOOK-PM"), chromedp.WaitVisible(chromedp.CSS("form.add")))
	step("add it", chromedp.Click(chromedp.CSS("form.add button")), chromedp.WaitVisible(chromedp.CSS("#checkout")))
	step("check out", chromedp.Click(chromedp.CSS("#checkout")), chromedp.WaitVisible(chromedp.CSS("#email")))
	step("fill the contact step",
		chromedp.SendKeys(chromedp.CSS("#email"), "guest.buyer@example.com"),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Gaëlle"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "Guest"),
		chromedp.SetValue(chromedp.CSS("#country"), "FR"),
		chromedp.Click(chromedp.CSS("form.stack p.actions button")),
		chromedp.WaitVisible(chromedp.CSS("#place")))
	if got := text("#review-total"); got != "€36.82" {
		t.Errorf("review total = %q, want €36.82 (34.90 + 5.5 %% VAT)", got)
	}
	step("accept the terms, choose check, place",
		chromedp.Click(chromedp.CSS("#terms")),
		chromedp.Click(chromedp.CSS("#mode-check")),
		chromedp.Click(chromedp.CSS("#place")),
		chromedp.WaitVisible(chromedp.CSS("#instructions")))
	got := text("#instructions")
	for _, want := range []string{"Pay by check", "Send a check of €36.82", "Demo Formations SAS", "12 rue de la Paix"} {
		if !strings.Contains(got, want) {
			t.Errorf("instructions lack %q: %q", want, got)
		}
	}
	if status := text("#order-status"); status != "Awaiting payment" {
		t.Errorf("status = %q", status)
	}
	number := strings.TrimPrefix(text("h1"), "Order ")
	if !strings.Contains(got, number) {
		t.Errorf("the reference %q is not in the instructions", number)
	}
}
