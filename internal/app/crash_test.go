package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"courseshop/internal/lms/moodletest"
	"courseshop/internal/order"
	"courseshop/internal/store"
)

// crashChildEnv names the variable that makes the test binary a shop
// process for TestProductionSurvivesKill: its value is the serve command
// line, one argument per line.
const crashChildEnv = "COURSESHOP_CRASH_CHILD_ARGS"

// TestCrashChild is not a test: run by TestProductionSurvivesKill as a
// separate process, it serves the shop until it is killed.
func TestCrashChild(t *testing.T) {
	args := os.Getenv(crashChildEnv)
	if args == "" {
		t.Skip("runs only as the child process of TestProductionSurvivesKill")
	}
	env := Env{Args: strings.Split(args, "\n"), Getenv: os.Getenv, Stdout: io.Discard, Stderr: os.Stderr,
		Ready: func(base string) { fmt.Println("READY " + base) }}
	if err := Run(context.Background(), env); err != nil {
		t.Fatal(err)
	}
}

// TestProductionSurvivesKill: a guest buys a Moodle course; the shop's
// process is killed (SIGKILL) while production is under way, just after
// Moodle enrolled the buyer and before the shop could record it. A new
// process on the same database finishes the order: one account, one
// enrolment, one product instance, the order complete.
func TestProductionSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts shop processes")
	}
	site := moodletest.New(moodletest.Options{})
	defer site.Close()
	demo, err := readDemoCourses(filepath.Join("..", "demo", "courses.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range demo {
		site.AddCourse(moodletest.Course{Shortname: c.Shortname, Fullname: c.Fullname, IDNumber: c.IDNumber, Visible: true})
	}
	// Moodle behind a proxy that, once, lets the first enrolment through
	// to Moodle and then holds its answer: the shop is killed meanwhile.
	target, _ := url.Parse(site.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	enrolled, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	front := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, _ := url.ParseQuery(string(body)); form.Get("wsfunction") == "enrol_manual_enrol_users" {
			held := false
			once.Do(func() { held = true })
			if held {
				proxy.ServeHTTP(httptest.NewRecorder(), r)
				close(enrolled)
				<-release
				return
			}
		}
		proxy.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go front.Serve(ln)
	defer front.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	db := filepath.Join(t.TempDir(), "shop.db")
	start := func() (*exec.Cmd, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(),
			crashChildEnv+"=serve\n--demo\n--addr\n127.0.0.1:0\n--job-lease\n2s\n--db\nsqlite:"+db,
			"COURSESHOP_MOODLE_URL=http://"+ln.Addr().String(), "COURSESHOP_MOODLE_TOKEN="+site.Token())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if base, ok := strings.CutPrefix(lines.Text(), "READY "); ok {
				go io.Copy(io.Discard, out)
				return cmd, base
			}
		}
		t.Fatal("the shop process did not start")
		return nil, ""
	}

	first, base := start()
	number := buyAsGuest(t, base, "PM-201", "kim@example.com")
	select {
	case <-enrolled:
	case <-time.After(30 * time.Second):
		t.Fatal("production never reached the enrolment")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	close(release)

	start() // a new process on the same database
	st, err := store.Open(context.Background(), "sqlite:"+db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sh, err := st.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var o *order.Order
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if o, err = st.OrderByNumber(ctx, sh.ID, number); err != nil {
			t.Fatal(err)
		}
		if o.Status == order.StatusComplete || o.Status == order.StatusFailed || time.Now().After(deadline) {
			break
		}
	}
	if o.Status != order.StatusComplete {
		t.Fatalf("order %s is %s after the restart", number, o.Status)
	}
	var accounts []moodletest.User
	for _, u := range site.Users() {
		if strings.EqualFold(u.Email, "kim@example.com") {
			accounts = append(accounts, u)
		}
	}
	if len(accounts) != 1 {
		t.Fatalf("%d Moodle accounts for the buyer, want 1", len(accounts))
	}
	course, _ := site.CourseByIDNumber("pm-201")
	if en, ok := site.Enrolment(accounts[0].ID, course.ID); !ok || en.Role != "student" {
		t.Errorf("buyer not enrolled in pm-201: %+v", en)
	}
	cust, err := st.CustomerByEmail(ctx, sh.ID, "kim@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := st.InstancesOfCustomer(ctx, cust.ID)
	if err != nil || len(ins) != 1 {
		t.Errorf("%d product instances, %v; want 1", len(ins), err)
	}
}

var revRE = regexp.MustCompile(`name="rev" value="([0-9]+)"`)

// buyAsGuest buys one unit of code in the demo shop at base as a guest
// (who is the learner too when the product has seats), paying with the
// test mode, and returns the order's number.
func buyAsGuest(t *testing.T, base, code, email string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := func(resp *http.Response, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", resp.Request.URL, resp.StatusCode, b)
		}
		return resp.Request.URL.Path, string(b)
	}
	rev := func(body string) string {
		t.Helper()
		m := revRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no rev in\n%s", body)
		}
		return m[1]
	}
	shop := base + "/shop/demo"
	page(c.PostForm(shop+"/cart/add", url.Values{"code": {code}, "quantity": {"1"}}))
	path, body := page(c.Get(shop + "/checkout"))
	if path == "/shop/demo/checkout/participants" { // the buyer is the learner
		field := func(name string) string { return "p|" + code + "|0|" + name }
		path, body = page(c.PostForm(shop+"/checkout/participants", url.Values{"rev": {rev(body)},
			field("first_name"): {"Kim"}, field("last_name"): {"Crash"}, field("email"): {email}}))
	}
	if path != "/shop/demo/checkout/customer" {
		t.Fatalf("checkout starts at %s", path)
	}
	path, body = page(c.PostForm(shop+"/checkout/customer", url.Values{"rev": {rev(body)}, "email": {email},
		"first_name": {"Kim"}, "last_name": {"Crash"}, "country": {"FR"}, "city": {"Paris"}}))
	if path != "/shop/demo/checkout/review" {
		t.Fatalf("after the customer step: %s", path)
	}
	path, _ = page(c.PostForm(shop+"/checkout/review", url.Values{"rev": {rev(body)}, "terms": {"yes"}, "mode": {"test"}}))
	number, ok := strings.CutPrefix(path, "/shop/demo/orders/")
	if !ok {
		t.Fatalf("placing the order led to %s", path)
	}
	return number
}
