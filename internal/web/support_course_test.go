package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"courseshop/internal/demo"
	"courseshop/internal/lms"
)

var supportLinkRE = regexp.MustCompile(`<p id="support-course">[^<]*<a href="([^"]+)">([^<]+)</a>`)

// TestSupportCourseLink (C7): once the customer is enrolled in the support
// course the shop names, the support area links to it, and the link opens
// the course's page in the built-in LMS; before that, or once the
// enrolment is suspended, there is no link.
func TestSupportCourseLink(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	help := &lms.Course{Shortname: "HELP", Fullname: "Customer support", IDNumber: "help", Summary: "Ask us anything.", Visible: true}
	hidden := &lms.Course{Shortname: "HIDDEN", Fullname: "Hidden course", IDNumber: "hidden"}
	for _, c := range []*lms.Course{help, hidden} {
		if err := ts.store.CreateLMSCourse(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	sh.SupportCourseRef = "help"
	if err := ts.store.UpsertShop(ctx, sh); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, ts)
	signInLearner(t, b)
	buy(t, b, "BOOK-PM", "1", "check") // unpaid: not produced, not enrolled
	if _, page := b.get("/shop/demo/account"); strings.Contains(page, `id="support-course"`) {
		t.Errorf("a customer not enrolled in the support course gets a link:\n%s", text(page))
	}

	buy(t, b, "XLS-100", "1", "test")
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, page := b.get("/shop/demo/account")
	m := supportLinkRE.FindStringSubmatch(page)
	if m == nil || m[2] != "Customer support" || !strings.Contains(text(page), "Your customer support course in the learning platform: Customer support") {
		t.Fatalf("no link to the support course:\n%s", page)
	}
	if !strings.HasPrefix(m[1], ts.URL+"/lms/courses/") {
		t.Errorf("support course link %q", m[1])
	}
	if code, course := b.get(strings.TrimPrefix(m[1], ts.URL)); code != http.StatusOK || !strings.Contains(text(course), "Customer support Ask us anything.") {
		t.Errorf("course page: %d\n%s", code, text(course))
	}
	b.get("/lang/fr")
	if _, page := b.get("/shop/demo/account"); !strings.Contains(text(page), "Votre espace de support client sur la plateforme de formation : Customer support") {
		t.Errorf("French support area:\n%s", text(page))
	}

	for _, path := range []string{"/lms/courses/987654", "/lms/courses/x", "/lms/courses/" + strconv.FormatInt(hidden.ID, 10)} {
		if code, _ := b.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}

	// A suspended enrolment does not let the customer in: no link.
	users, err := ts.store.LMSUsersByEmail(ctx, demo.LearnerEmail)
	if err != nil || len(users) != 1 {
		t.Fatalf("learner account: %v %v", users, err)
	}
	en, err := ts.store.LMSEnrolment(ctx, help.ID, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	en.Suspended = true
	if err := ts.store.UpsertLMSEnrolment(ctx, en); err != nil {
		t.Fatal(err)
	}
	if _, page := b.get("/shop/demo/account"); strings.Contains(page, `id="support-course"`) {
		t.Errorf("a suspended enrolment still gets a link:\n%s", text(page))
	}
}
