package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/user"
)

const staffPassword = "back-office-2026"

// seedStaff adds to the selling shop an administrator, a member of the
// sales team and a disabled administrator.
func seedStaff(t *testing.T, st *store.Store) {
	t.Helper()
	seedSelling(t, st)
	hash, err := password.Hash(staffPassword, password.Cheap())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*user.User{
		{Email: "admin@rules.test", DisplayName: "Ada Admin", Role: user.RoleAdmin},
		{Email: "sales@rules.test", DisplayName: "Sam Sales", Role: user.RoleSales},
		{Email: "gone@rules.test", DisplayName: "Gone", Role: user.RoleAdmin, Disabled: true},
	} {
		u.PasswordHash, u.Locale = hash, "en"
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
}

// seedTestShop is seedStaff with the shop in test mode, the test payment
// mode enabled but not in the guest list.
func seedTestShop(t *testing.T, st *store.Store) {
	t.Helper()
	seedStaff(t, st)
	ctx := context.Background()
	sh, err := st.ShopByCode(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	sh.TestMode, sh.GuestPaymentModes = true, []string{"check", "transfer", "free"}
	if err := st.UpsertShop(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if err := st.BumpCatalogVersion(ctx); err != nil {
		t.Fatal(err)
	}
}

// staffSignin signs b in to the back office.
func (b *browser) staffSignin(email string) {
	b.t.Helper()
	code, _, h := b.do("POST", "/admin/signin", url.Values{"email": {email}, "password": {staffPassword}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		b.t.Fatalf("staff sign-in of %s: %d %s", email, code, h.Get("Location"))
	}
}

func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.ts.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "courseshop_session" {
			return c.Value
		}
	}
	return ""
}

func TestStaffSignin(t *testing.T) {
	ts := newServer(t, seedStaff)
	b := newBrowser(t, ts)
	if code, _, h := b.do("GET", "/admin", nil); code != http.StatusSeeOther || h.Get("Location") != "/admin/signin" {
		t.Fatalf("back office without sign-in: %d %s", code, h.Get("Location"))
	}
	// Unknown e-mail, wrong password and disabled account fail alike,
	// keeping the e-mail typed.
	for _, tc := range []struct{ email, password string }{
		{"nobody@rules.test", staffPassword}, {"admin@rules.test", "wrong-password"}, {"gone@rules.test", staffPassword},
	} {
		code, body, _ := b.do("POST", "/admin/signin", url.Values{"email": {tc.email}, "password": {tc.password}})
		if code != http.StatusUnauthorized || !strings.Contains(body, "Wrong e-mail or password.") || !strings.Contains(body, `value="`+tc.email+`"`) {
			t.Errorf("%s / %s: %d\n%s", tc.email, tc.password, code, text(body))
		}
	}
	b.get("/admin/signin") // a session exists before sign-in
	before := b.sessionCookie()
	b.staffSignin("  ADMIN@rules.test ")
	if after := b.sessionCookie(); after == "" || after == before {
		t.Error("the session token was not renewed on sign-in")
	}
	_, body := b.get("/admin")
	for _, want := range []string{"Welcome, Ada Admin.", "Signed in as Ada Admin", "administrator", "Rules", "live: real payments only"} {
		if !strings.Contains(text(body), want) {
			t.Errorf("back office lacks %q:\n%s", want, text(body))
		}
	}
	u, err := ts.store.UserByEmail(context.Background(), "admin@rules.test")
	if err != nil || u.LastLoginAt.IsZero() {
		t.Errorf("sign-in not recorded: %+v, %v", u, err)
	}
	// Signed in, the sign-in page leads to the back office.
	if code, _, h := b.do("GET", "/admin/signin", nil); code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		t.Errorf("sign-in page when signed in: %d %s", code, h.Get("Location"))
	}
	code, page := b.post("/admin/signout", url.Values{})
	if code != http.StatusSeeOther || !strings.Contains(page, "You are signed out of the back office.") {
		t.Errorf("sign-out: %d\n%s", code, text(page))
	}
	if code, _, h := b.do("GET", "/admin", nil); code != http.StatusSeeOther || h.Get("Location") != "/admin/signin" {
		t.Errorf("back office after sign-out: %d %s", code, h.Get("Location"))
	}
	// French.
	fr := newBrowser(t, ts)
	req, _ := http.NewRequest("GET", ts.URL+"/admin/signin", nil)
	req.Header.Set("Accept-Language", "fr")
	resp, err := fr.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("French sign-in page: %d", resp.StatusCode)
	}
}

func TestStaffSigninCrossOrigin(t *testing.T) {
	ts := newServer(t, seedStaff)
	ts.run(t, nil, scenario{name: "cross-site sign-in", method: "POST", path: "/admin/signin",
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
		body:   url.Values{"email": {"admin@rules.test"}, "password": {staffPassword}}.Encode(), wantStatus: http.StatusForbidden})
	ts.run(t, nil, scenario{name: "cross-site sign-out", method: "POST", path: "/admin/signout",
		header: map[string]string{"Origin": "https://evil.example"}, wantStatus: http.StatusForbidden})
}

func TestStaffSigninRateLimit(t *testing.T) {
	ts := newServer(t, seedStaff)
	b := newBrowser(t, ts)
	var code int
	var body string
	for range 11 {
		code, body, _ = b.do("POST", "/admin/signin", url.Values{"email": {"admin@rules.test"}, "password": {"guess"}})
	}
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Fatalf("11th attempt: %d\n%s", code, text(body))
	}
	// Even the right password waits for the window to pass.
	if code, _, _ := b.do("POST", "/admin/signin", url.Values{"email": {"admin@rules.test"}, "password": {staffPassword}}); code != http.StatusTooManyRequests {
		t.Errorf("right password during the lock-out: %d", code)
	}
}

// TestTestModeForAdministrators: in a shop in test mode whose guests may
// not use the test payment, an administrator signed in to the back office
// (and not to the shop's LMS) is offered it and pays with it; a guest or a
// member of the sales team is not, and posting it anyway is refused.
func TestTestModeForAdministrators(t *testing.T) {
	ts := newServer(t, seedTestShop)
	for _, tc := range []struct {
		name, staff string
	}{{"guest", ""}, {"sales team", "sales@rules.test"}} {
		b := newBrowser(t, ts)
		if tc.staff != "" {
			b.staffSignin(tc.staff)
		}
		b.add("OK", "1")
		body := b.toReview("buyer-"+strings.Fields(tc.name)[0]+"@example.com", "Bea", "Buyer")
		if strings.Contains(body, `value="test"`) {
			t.Errorf("%s: offered the test mode", tc.name)
		}
		if code, _, _ := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: test mode posted: %d", tc.name, code)
		}
	}
	b := newBrowser(t, ts)
	b.staffSignin("admin@rules.test")
	_, home := b.get("/admin")
	if !strings.Contains(text(home), "test mode: test payment offered to administrators") {
		t.Errorf("back office does not say the shop is in test mode:\n%s", text(home))
	}
	b.add("OK", "1")
	body := b.toReview("ada@example.com", "Ada", "Admin")
	if !strings.Contains(body, `value="test"`) {
		t.Fatalf("administrator not offered the test mode:\n%s", text(body))
	}
	code, _, h := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}})
	if code != http.StatusSeeOther || orderPathRE.FindStringSubmatch(h.Get("Location")) == nil {
		t.Fatalf("test payment by an administrator: %d %s", code, h.Get("Location"))
	}
	if _, page := b.get(h.Get("Location")); !strings.Contains(text(page), "Status: Paid") {
		t.Errorf("order paid with the test mode:\n%s", text(page))
	}
}

// TestLiveShopNeverTestMode: an administrator in a live shop is neither
// offered the test payment nor allowed to post it.
func TestLiveShopNeverTestMode(t *testing.T) {
	ts := newServer(t, seedStaff)
	b := newBrowser(t, ts)
	b.staffSignin("admin@rules.test")
	b.add("OK", "1")
	body := b.toReview("ada@example.com", "Ada", "Admin")
	if strings.Contains(body, `value="test"`) {
		t.Error("a live shop offers the test mode to an administrator")
	}
	if code, _, _ := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("test mode posted by an administrator to a live shop: %d", code)
	}
}
