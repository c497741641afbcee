package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeShop is a tiny server-rendered shop at /shop/demo: a home page
// linking to 3 categories, 4 products and a search, category and product
// pages linking back, two static assets. It gives each visitor without a
// "sid" cookie a new session and rejects unknown sessions, and it records
// what it was asked for.
type fakeShop struct {
	mu              sync.Mutex
	hits            int
	newSessions     int
	sessions        map[string]bool
	unknownSessions int
	paths           map[string]int // hits by path
	outside         []string       // requests outside the shop and /static/
	bad             []string       // requests the shop did not understand
	langs           map[string]int // hits by Accept-Language
	agents          map[string]int // hits by User-Agent
	assetHits       map[string]int // hits by session and asset path
}

func newFakeShop() *fakeShop {
	return &fakeShop{
		sessions: map[string]bool{}, paths: map[string]int{}, langs: map[string]int{},
		agents: map[string]int{}, assetHits: map[string]int{},
	}
}

const fakeLayout = `<!doctype html><html><head><title>%s</title>
<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
<body><a class="skip" href="#main">skip</a><a href="/">all shops</a>
<a href="/lang/fr?next=/shop/demo">fr</a><main id="main">%s</main></body></html>`

var fakePages = map[string]string{
	"/shop/demo": `<h1>Demo</h1><ul>
<li><a href="/shop/demo/c/1">Cat 1</a><li><a href="demo/c/2">Cat 2</a><li><a href="./demo/c/3#top">Cat 3</a>
<li><a href="/shop/demo/p/1">P1</a><li><a href="/shop/demo/p/4">P4 (no links)</a>
<li><a href="/shop/demo/search?q=go&amp;page=2">search</a>
<li><a href="http://other.invalid/shop/demo/p/9">elsewhere</a><li><a href="c/9">outside (/shop/c/9)</a>
<li><a href="/shop/demo2/p/1">neighbour shop</a></ul>`,
	"/shop/demo/c/1": `<a href="../p/1">P1</a> <a href="../p/2">P2</a> <a href="?page=2">next</a> <a href="/shop/demo">home</a>`,
	"/shop/demo/c/2": `<a href="../p/2">P2</a> <a href="../p/3">P3</a> <a href="/shop/demo">home</a>`,
	"/shop/demo/c/3": `<a href="../p/3">P3</a> <a href="../p/4">P4</a>`,
	"/shop/demo/p/1": `<a href="../c/1">Cat 1</a> <a href="/shop/demo">home</a>`,
	"/shop/demo/p/2": `<a href="../c/1">Cat 1</a> <a href="../c/2">Cat 2</a>`,
	"/shop/demo/p/3": `<a href="/shop/demo/c/3">Cat 3</a>`,
	"/shop/demo/p/4": `<p>No links here.</p>`,
}

func (s *fakeShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	s.paths[r.URL.Path]++
	s.langs[r.Header.Get("Accept-Language")]++
	s.agents[r.Header.Get("User-Agent")]++
	if !strings.HasPrefix(r.URL.Path, "/shop/demo/") && r.URL.Path != "/shop/demo" && !strings.HasPrefix(r.URL.Path, "/static/") {
		s.outside = append(s.outside, r.URL.String())
		http.NotFound(w, r)
		return
	}
	var sid string
	if c, err := r.Cookie("sid"); err == nil {
		if !s.sessions[c.Value] {
			s.unknownSessions++
			http.Error(w, "unknown session", http.StatusForbidden)
			return
		}
		sid = c.Value
	} else {
		s.newSessions++
		sid = strconv.Itoa(s.newSessions)
		s.sessions[sid] = true
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true})
	}

	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/static/"):
		s.assetHits[sid+" "+p]++
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body{margin:0}")
	case p == "/shop/demo/search":
		q := r.URL.Query()
		if q.Get("q") != "go" || q.Get("page") != "2" || q.Has("amp;page") {
			s.bad = append(s.bad, r.URL.String())
			http.Error(w, "bad search", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, fakeLayout, "search", `<a href="/shop/demo/p/2">P2</a>`)
	default:
		body, ok := fakePages[p]
		if !ok {
			s.bad = append(s.bad, r.URL.String())
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, fakeLayout, p, body)
	}
}

// result is the JSON line, with every field the command must print.
type result struct {
	Scenario    string           `json:"scenario"`
	Target      string           `json:"target"`
	Concurrency int              `json:"concurrency"`
	Duration    string           `json:"duration"`
	Requests    int64            `json:"requests"`
	Errors      int64            `json:"errors"`
	Status      map[string]int64 `json:"status"`
	RPS         string           `json:"rps"`
	Orders      int64            `json:"orders"`
	OrdersPerS  string           `json:"orders_per_s"`
	P50         string           `json:"p50_ms"`
	P90         string           `json:"p90_ms"`
	P99         string           `json:"p99_ms"`
	Max         string           `json:"max_ms"`
}

// runCommand runs the command with args and returns its exit status,
// stdout and stderr.
func runCommand(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runMain(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// parseResult decodes the single JSON line of out, rejecting unknown fields.
func parseResult(t *testing.T, out string) result {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want exactly one line on stdout, got %q", out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var res result
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	for _, key := range []string{`"scenario"`, `"target"`, `"concurrency"`, `"duration"`, `"requests"`, `"errors"`, `"status"`, `"rps"`, `"orders"`, `"orders_per_s"`, `"p50_ms"`, `"p90_ms"`, `"p99_ms"`, `"max_ms"`} {
		if !strings.Contains(out, key+":") {
			t.Errorf("output lacks %s: %s", key, out)
		}
	}
	return res
}

var (
	msFormat  = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)
	rpsFormat = regexp.MustCompile(`^[0-9]+\.[0-9]$`)
)

func TestCatalogueRun(t *testing.T) {
	t.Parallel()
	shop := newFakeShop()
	srv := httptest.NewServer(shop)
	defer srv.Close()
	target := srv.URL + "/shop/demo"

	start := time.Now()
	code, out, errOut := runCommand(t, "-target", target, "-scenario", "catalogue", "-c", "4", "-d", "300ms", "-warmup", "0s", "-seed", "7")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if took > 2*time.Second {
		t.Errorf("a 300ms run took %v", took)
	}
	res := parseResult(t, out)
	if res.Scenario != "catalogue" || res.Target != target || res.Concurrency != 4 || res.Duration != "300ms" {
		t.Errorf("settings echoed wrongly: %+v", res)
	}
	if res.Requests <= 0 || res.Errors != 0 {
		t.Errorf("requests %d errors %d, want > 0 and 0 (status %v)", res.Requests, res.Errors, res.Status)
	}
	if len(res.Status) != 1 || res.Status["200"] != res.Requests {
		t.Errorf("status %v, want only 200 x %d", res.Status, res.Requests)
	}
	for name, v := range map[string]string{"p50": res.P50, "p90": res.P90, "p99": res.P99, "max": res.Max} {
		if !msFormat.MatchString(v) {
			t.Errorf("%s_ms = %q, want milliseconds with 2 decimals", name, v)
		}
	}
	if !rpsFormat.MatchString(res.RPS) || res.RPS == "0.0" {
		t.Errorf("rps = %q", res.RPS)
	}
	if res.Orders != 0 || res.OrdersPerS != "0.0" {
		t.Errorf("orders %d orders_per_s %q, want 0 and \"0.0\" when browsing", res.Orders, res.OrdersPerS)
	}

	shop.mu.Lock()
	defer shop.mu.Unlock()
	if len(shop.outside) > 0 {
		t.Errorf("requests outside the shop: %q", shop.outside)
	}
	if len(shop.bad) > 0 {
		t.Errorf("requests the shop did not understand (bad link extraction?): %q", shop.bad)
	}
	// One session for the first request, one per user: each user's jar
	// sent its cookie back on every later request.
	if shop.newSessions != 4+1 || shop.unknownSessions != 0 {
		t.Errorf("sessions created %d (want 5: one per user and the first request), unknown %d", shop.newSessions, shop.unknownSessions)
	}
	// Requests cut by the deadline reached the server but are not counted.
	if int64(shop.hits-1) < res.Requests {
		t.Errorf("server saw %d requests after the first, report says %d", shop.hits-1, res.Requests)
	}
	for _, p := range []string{"/shop/demo", "/shop/demo/c/1", "/shop/demo/p/1", "/shop/demo/search", "/static/app.css", "/static/app.js"} {
		if shop.paths[p] == 0 {
			t.Errorf("%s never visited (visits: %v)", p, shop.paths)
		}
	}
	for k, n := range shop.assetHits {
		if n != 1 {
			t.Errorf("asset fetched %d times by one user (session and path %q), want once", n, k)
		}
	}
	if shop.langs["en"] == 0 || shop.langs["fr-FR,fr;q=0.9"] == 0 || len(shop.langs) != 3 { // "" is the first request
		t.Errorf("Accept-Language seen: %v", shop.langs)
	}
	if len(shop.agents) != 1 || shop.agents[userAgent] == 0 {
		t.Errorf("User-Agent seen: %v", shop.agents)
	}
}

func TestRequestLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newFakeShop())
	defer srv.Close()
	start := time.Now()
	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-c", "4", "-d", "10s", "-n", "25", "-warmup", "0s")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("-n 25 took %v", took)
	}
	if res := parseResult(t, out); res.Requests != 25 || res.Errors != 0 {
		t.Errorf("requests %d errors %d, want 25 and 0", res.Requests, res.Errors)
	}
}

func TestWarmupNotRecorded(t *testing.T) {
	t.Parallel()
	shop := newFakeShop()
	srv := httptest.NewServer(shop)
	defer srv.Close()
	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-c", "2", "-d", "150ms", "-warmup", "150ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	shop.mu.Lock()
	defer shop.mu.Unlock()
	if res.Requests <= 0 || int64(shop.hits-1) <= res.Requests {
		t.Errorf("server saw %d requests after the first, report %d: warm-up requests should not be counted", shop.hits-1, res.Requests)
	}
}

func TestErrorsCounted(t *testing.T) {
	t.Parallel()
	// The home page answers; everything it links to fails with 500.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shop/demo" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/shop/demo/p/1">p</a>`)
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-c", "2", "-d", "100ms", "-warmup", "0s")
	if code != 0 {
		t.Fatalf("exit %d (want 0 even with errors), stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	if res.Errors == 0 || res.Status["500"] != res.Errors || res.Status["200"]+res.Errors != res.Requests {
		t.Errorf("errors %d status %v requests %d", res.Errors, res.Status, res.Requests)
	}
}

func TestNonLoopbackTargetRefused(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"http://192.0.2.1/shop/demo", "http://[2001:db8::1]:8080/shop/demo", "http://10.0.0.1:8080/"} {
		code, out, errOut := runCommand(t, "-target", target, "-d", "100ms")
		if code != 2 || out != "" || !strings.Contains(errOut, "loopback") {
			t.Errorf("%s: exit %d stdout %q stderr %q, want 2 and a refusal", target, code, out, errOut)
		}
	}
	for host, ok := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "::ffff:127.0.0.1": true,
		"192.0.2.1": false, "0.0.0.0": false, "::": false, "2001:db8::1": false,
	} {
		if err := checkLoopback(t.Context(), host); (err == nil) != ok {
			t.Errorf("checkLoopback(%s) = %v, want ok=%v", host, err, ok)
		}
	}
}

func TestRedirectToRemoteRefused(t *testing.T) {
	t.Parallel()
	// Even a loopback target cannot send the users elsewhere: the dialer
	// refuses non-loopback addresses.
	srv := httptest.NewServer(http.RedirectHandler("http://192.0.2.1/elsewhere", http.StatusFound))
	defer srv.Close()
	c := newClient(Config{Concurrency: 1, Timeout: time.Second})
	_, err := c.Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Errorf("redirect to a remote host: err = %v, want a refusal", err)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + l.Addr().String() + "/shop/demo"
	l.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"unknown flag", []string{"-bogus"}, 2, "bogus"},
		{"no target", []string{}, 2, "-target is required"},
		{"not http", []string{"-target", "ftp://127.0.0.1/"}, 2, "http"},
		{"zero users", []string{"-target", closedPort, "-c", "0"}, 2, "-c"},
		{"bad duration", []string{"-target", closedPort, "-d", "0s"}, 2, "-d"},
		{"argument", []string{"-target", closedPort, "extra"}, 2, "extra"},
		{"unknown scenario", []string{"-target", closedPort, "-scenario", "nope"}, 2, "known: catalogue"},
		{"unreachable", []string{"-target", closedPort}, 1, "unreachable"},
		{"first request fails", []string{"-target", failing.URL + "/shop/demo"}, 1, "503"},
		{"help", []string{"-h"}, 0, "-allow-remote"},
	} {
		code, out, errOut := runCommand(t, tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.message) {
			t.Errorf("%s: exit %d stdout %q stderr %q, want exit %d and %q", tc.name, code, out, errOut, tc.code, tc.message)
		}
	}
}

func TestInterruptedRunStillReports(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newFakeShop())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := runMain(ctx, []string{"-target", srv.URL + "/shop/demo", "-c", "2", "-d", "1m", "-warmup", "0s"}, &stdout, &stderr)
	if code != 0 || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d after %v, stderr %q", code, time.Since(start), stderr.String())
	}
	if res := parseResult(t, stdout.String()); res.Requests <= 0 || res.Errors != 0 {
		t.Errorf("requests %d errors %d", res.Requests, res.Errors)
	}
}

func TestPageRun(t *testing.T) {
	t.Parallel()
	shop := newFakeShop()
	srv := httptest.NewServer(shop)
	defer srv.Close()
	target := srv.URL + "/shop/demo/c/1"
	code, out, errOut := runCommand(t, "-target", target, "-scenario", "page", "-c", "2", "-d", "200ms", "-warmup", "0s")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	if res.Scenario != "page" || res.Requests <= 0 || res.Errors != 0 {
		t.Errorf("result %+v", res)
	}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	for p, n := range shop.paths {
		if p != "/shop/demo/c/1" && !strings.HasPrefix(p, "/static/") && n > 0 {
			t.Errorf("page scenario left its page for %s (%d times)", p, n)
		}
	}
}
