package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowseAndFillCart: a visitor browses a category, opens a product,
// adds two units, then raises the quantity to the next price tier, and sees
// the tier price and totals change.
func TestBrowseAndFillCart(t *testing.T) {
	ctx := newBrowser(t)
	base := startShop(t)
	step, text := actions(t, ctx)
	step("open the shop", chromedp.Navigate(base+"/shop/demo"), chromedp.WaitVisible(chromedp.CSS("nav.side")))
	step("browse a category", chromedp.Click(chromedp.CSS(`nav.side a[href="/shop/demo/c/management"]`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text("h1"); got != "Management" {
		t.Fatalf("category page h1 = %q", got)
	}
	step("open a product", chromedp.Click(chromedp.CSS(`a[href="/shop/demo/p/PM-101"]`)), chromedp.WaitVisible(chromedp.CSS("table.tiers")))
	if got := text("table.tiers tbody"); !strings.Contains(got, "1 to 4 €490.00 €588.00") || !strings.Contains(got, "5 to 9 €440.00 €528.00") || !strings.Contains(got, "10 and more €395.00 €474.00") {
		t.Fatalf("tier table = %q", got)
	}
	step("add two units",
		chromedp.SetValue(chromedp.CSS("#quantity"), "2"),
		chromedp.Click(chromedp.CSS("form.add button")),
		chromedp.WaitVisible(chromedp.CSS("#total-taxed")))
	if got := text("#line-PM-101"); !strings.Contains(got, "€490.00 €980.00 €196.00 (20 %) €1,176.00") {
		t.Errorf("cart line = %q", got)
	}
	if got := text("#total-taxed"); got != "€1,176.00" {
		t.Errorf("total = %q", got)
	}
	if got := text("#minicart"); got != "Cart: 2 items, €1,176.00" {
		t.Errorf("mini-cart = %q", got)
	}
	step("raise the quantity to the next tier",
		chromedp.SetValue(chromedp.CSS("#qty-PM-101"), "5"),
		chromedp.Click(chromedp.CSS("#cart-form p.actions button")),
		// The value attribute is the server's: it reads 5 once the new
		// page has loaded.
		chromedp.WaitVisible(chromedp.CSS(`#qty-PM-101[value="5"]`)))
	if got := text("#line-PM-101"); !strings.Contains(got, "€440.00 €2,200.00 €440.00 (20 %) €2,640.00") {
		t.Errorf("cart line at 5 units = %q", got)
	}
	if got := text("#total-taxed"); got != "€2,640.00" {
		t.Errorf("total at 5 units = %q", got)
	}
}
