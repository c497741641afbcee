package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"courseshop/internal/demo"
)

// TestAdministratorSignsIn: the demo administrator signs in to the back
// office, sees the demo shop in test mode, and signs out.
func TestAdministratorSignsIn(t *testing.T) {
	ctx := newBrowser(t)
	base := startShop(t)
	step, text := actions(t, ctx)
	step("open the sign-in page", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#email")))
	step("sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS("#email"), demo.AdminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("form.stack button")),
		chromedp.WaitVisible(chromedp.CSS("#signin-err")))
	if got := text("#signin-err"); got != "Wrong e-mail or password." {
		t.Errorf("error = %q", got)
	}
	step("sign in",
		chromedp.SendKeys(chromedp.CSS("#password"), demo.AdminPassword),
		chromedp.Click(chromedp.CSS("form.stack button")),
		chromedp.WaitVisible(chromedp.CSS("form.account")))
	page := text("main")
	for _, want := range []string{"Signed in as Administrator", "administrator", "test mode: test payment offered to everyone"} {
		if !strings.Contains(page, want) {
			t.Errorf("back office lacks %q: %q", want, page)
		}
	}
	step("sign out", chromedp.Click(chromedp.CSS("form.account button")), chromedp.WaitVisible(chromedp.CSS("#email")))
	if got := text("main"); !strings.Contains(got, "You are signed out of the back office.") {
		t.Errorf("after sign-out: %q", got)
	}
}
