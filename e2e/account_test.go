package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"courseshop/internal/store"
)

// TestCustomerAssignsSeats: a guest buys 3 seats and pays in test mode;
// production creates their account; they sign in with a mailed one-time
// link, assign two seats to learners (who are enrolled in the LMS),
// release one, and see the counts change.
func TestCustomerAssignsSeats(t *testing.T) {
	ctx := newBrowser(t)
	base, dsn := startShopDB(t)
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	step, text := actions(t, ctx)
	const buyer = "rita.manager@example.com"
	step("add three seats",
		chromedp.Navigate(base+"/shop/demo/p/OFFICE-SEATS"), chromedp.WaitVisible(chromedp.CSS("form.add")),
		chromedp.SetValue(chromedp.CSS("#quantity"), "3"),
		chromedp.Click(chromedp.CSS("form.add button")), chromedp.WaitVisible(chromedp.CSS("#checkout")))
	step("check out", chromedp.Click(chromedp.CSS("#checkout")), chromedp.WaitVisible(chromedp.CSS("#email")))
	step("fill the contact step",
		chromedp.SendKeys(chromedp.CSS("#email"), buyer),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Rita"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "Manager"),
		chromedp.SetValue(chromedp.CSS("#country"), "FR"),
		chromedp.Click(chromedp.CSS("form.stack p.actions button")),
		chromedp.WaitVisible(chromedp.CSS("#place")))
	step("pay in test mode",
		chromedp.Click(chromedp.CSS("#terms")),
		chromedp.Click(chromedp.CSS("#mode-test")),
		chromedp.Click(chromedp.CSS("#place")),
		chromedp.WaitVisible(chromedp.CSS("#order-status")))
	// The shop's production engine works in the background.
	for deadline := time.Now().Add(30 * time.Second); text("#order-status") != "Complete"; {
		if time.Now().After(deadline) {
			t.Fatalf("order not produced: %q", text("#order-status"))
		}
		time.Sleep(300 * time.Millisecond)
		step("reload the order", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#order-status")))
	}

	step("ask for a sign-in link",
		chromedp.Navigate(base+"/shop/demo/signin?next=/shop/demo/account"), chromedp.WaitVisible(chromedp.CSS("#link-email")),
		chromedp.SendKeys(chromedp.CSS("#link-email"), buyer),
		chromedp.Click(chromedp.CSS(`form[action$="/signin/link"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	link := signinLink(t, st, buyer)
	step("use the link",
		chromedp.Navigate(base+link), chromedp.WaitVisible(chromedp.CSS("#use-link")),
		chromedp.Click(chromedp.CSS("#use-link")), chromedp.WaitVisible(chromedp.CSS("#account-h")))
	if got := text(".seat-counts"); got != "3 free, 0 assigned" {
		t.Fatalf("counts after buying = %q", got)
	}
	assign := func(first, last, email, course string) {
		t.Helper()
		step("assign a seat to "+email,
			chromedp.SendKeys(chromedp.CSS("form.seat-assign input[name=first_name]"), first),
			chromedp.SendKeys(chromedp.CSS("form.seat-assign input[name=last_name]"), last),
			chromedp.SendKeys(chromedp.CSS("form.seat-assign input[name=email]"), email),
			chromedp.SetValue(chromedp.CSS("form.seat-assign select[name=course]"), course),
			chromedp.Click(chromedp.CSS("form.seat-assign button")))
	}
	// waitCounts waits for the page that follows a form to show the
	// counts: the old page may still be there when a click returns.
	waitCounts := func(want string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			// Errors are expected while the page is replaced.
			s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".seat-counts")))
			if got = strings.Join(strings.Fields(s), " "); err == nil && got == want {
				return
			}
		}
		t.Fatalf("seat counts = %q, want %q", got, want)
	}
	assign("Léa", "Lenoir", "lea.lenoir@example.com", "doc-100")
	waitCounts("2 free, 1 assigned")
	assign("Marc", "Meyer", "marc.meyer@example.com", "xls-100")
	waitCounts("1 free, 2 assigned")
	for email, course := range map[string]string{"lea.lenoir@example.com": "doc-100", "marc.meyer@example.com": "xls-100"} {
		if got := enrolments(t, st, email); len(got) != 1 || got[0] != course {
			t.Errorf("%s enrolled in %v, want [%s]", email, got, course)
		}
	}
	step("release the first assigned seat", chromedp.Click(chromedp.CSS(`form[action$="/release"] button`)))
	waitCounts("2 free, 1 assigned")
	left := len(enrolments(t, st, "lea.lenoir@example.com")) + len(enrolments(t, st, "marc.meyer@example.com"))
	if left != 1 {
		t.Errorf("%d enrolments left after releasing one of two", left)
	}
}

var signinLinkRE = regexp.MustCompile(`/shop/demo/signin/link/[A-Za-z0-9_-]+(\?next=\S+)?`)

// signinLink returns the path of the sign-in link last mailed to email.
func signinLink(t *testing.T, st *store.Store, email string) string {
	t.Helper()
	mails, err := st.Mails(context.Background(), store.MailFilter{To: email})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails { // newest first
		if l := signinLinkRE.FindString(m.Text); l != "" {
			return l
		}
	}
	t.Fatalf("no sign-in link among the %d mails to %s", len(mails), email)
	return ""
}

// enrolments returns the idnumbers of the courses the built-in LMS enrols
// email in.
func enrolments(t *testing.T, st *store.Store, email string) []string {
	t.Helper()
	ctx := context.Background()
	users, err := st.LMSUsersByEmail(ctx, email)
	if err != nil || len(users) != 1 {
		t.Fatalf("LMS accounts of %s: %v %v", email, users, err)
	}
	es, err := st.LMSEnrolments(ctx, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Course.IDNumber)
	}
	return out
}
