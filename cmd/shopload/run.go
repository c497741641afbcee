package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config is one load run, as given by the command-line flags.
type Config struct {
	Target      string        // home page of the shop, e.g. http://127.0.0.1:8080/shop/demo
	Scenario    string        // name of a registered scenario
	Concurrency int           // virtual users, each with its own client, cookies and connection
	Duration    time.Duration // measured time, after the warm-up
	Requests    int64         // stop after this many measured requests; 0 means no limit
	Warmup      time.Duration // time during which requests are made but not recorded
	Timeout     time.Duration // limit of one request, redirects and body included
	AllowRemote bool          // allow a target that is not this machine
	Seed        uint64        // seed of the users' random choices; 0 picks one
	Products    []string      // product codes the checkout scenario buys
	Mode        string        // payment mode the checkout scenario chooses
}

// Report is what a run prints: its settings, then its measurements.
type Report struct {
	Scenario    string `json:"scenario"`
	Target      string `json:"target"`
	Concurrency int    `json:"concurrency"`
	Duration    string `json:"duration"`
	Stats
}

// UsageError is a mistake in the run's settings (exit code 2), as opposed
// to a failure to reach the target (exit code 1).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Scenario drives one virtual user until the run is over. It makes its
// requests through u (which records them) with ctx or a context derived
// from it, and returns nil as soon as a request reports ErrRunOver. Any
// other error it returns is printed to stderr and stops that user only.
//
// A scenario runs in its own goroutine per user; everything in u is owned
// by that goroutine.
type Scenario func(ctx context.Context, u *User) error

// scenarios is the registry of scenarios by name. Each scenario lives in
// its own file scenario_NAME.go and registers itself from an init function.
var scenarios = map[string]Scenario{}

// registerScenario adds a scenario to the registry; it panics on a
// duplicate name, which is a programming error.
func registerScenario(name string, s Scenario) {
	if _, dup := scenarios[name]; dup {
		panic("shopload: scenario registered twice: " + name)
	}
	scenarios[name] = s
}

// scenarioNames returns the registered scenario names in order.
func scenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ErrRunOver is returned by User's request methods when the run is over
// (duration elapsed, request budget spent, or interrupted). The scenario
// must return.
var ErrRunOver = errors.New("run over")

// userAgent is sent with every request.
const userAgent = "shopload/1"

// acceptLanguages are given to users in turn: half English, half French.
var acceptLanguages = [...]string{"en", "fr-FR,fr;q=0.9"}

// maxPageBody is the largest page body kept for link extraction; the rest
// of a larger body is read and discarded.
const maxPageBody = 8 << 20

// run is the state shared by the users of one run.
type run struct {
	measureFrom time.Time    // requests sent before this are not recorded
	limit       int64        // Config.Requests
	issued      atomic.Int64 // measured requests sent, against limit
}

// User is one virtual user: a browser with its own cookie jar, keep-alive
// connection, language, random source and cache of static assets.
type User struct {
	ID     int        // 0 to Concurrency-1
	Target *url.URL   // the shop's home page
	Scope  Scope      // the pages and assets the user may visit
	Lang   string     // Accept-Language header
	Rand   *rand.Rand // the user's own random source
	Client *http.Client
	Config *Config // the run's settings, read only

	run    *run
	rec    *recorder
	buf    bytes.Buffer        // body of the last page, reused
	links  Links               // links of the last page, reused
	cached map[string]struct{} // static assets fetched already
}

// Response is the outcome of one request that got an HTTP response.
type Response struct {
	Status      int
	URL         *url.URL // final URL, after redirects
	ContentType string
	// Location is the response's Location header resolved against URL,
	// or nil without one: where a redirect not followed (see Send) leads.
	Location *url.URL
	// Body is the page body when it was asked for (nil otherwise); it is
	// the user's reused buffer, valid until the user's next page request.
	Body []byte
	// Measured reports whether the request was recorded in the stats (it
	// was sent after the warm-up).
	Measured bool
}

// OK reports whether the status is a success (2xx or 3xx).
func (r Response) OK() bool { return !isError(r.Status) }

// IsHTML reports whether the response is an HTML document.
func (r Response) IsHTML() bool { return strings.HasPrefix(r.ContentType, "text/html") }

// acceptPage is the Accept header of a browser navigation.
const acceptPage = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// Page GETs rawURL as a browser navigation and returns the response with
// its body (up to 8 MiB).
func (u *User) Page(ctx context.Context, rawURL string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", acceptPage)
	return u.Do(req, true)
}

// Assets GETs each of urls the user has not fetched yet, as a browser with
// a warm cache would: once per user. It returns ErrRunOver when the run is
// over; failures of single assets are recorded and otherwise ignored.
func (u *User) Assets(ctx context.Context, urls []string) error {
	for _, a := range urls {
		if _, ok := u.cached[a]; ok {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a, nil)
		if err != nil {
			u.cached[a] = struct{}{}
			continue
		}
		req.Header.Set("Accept", "*/*")
		_, err = u.Do(req, false)
		if errors.Is(err, ErrRunOver) {
			return err
		}
		if err == nil {
			u.cached[a] = struct{}{}
		}
	}
	return nil
}

// Links extracts the in-scope links of a page response. The result is
// reused by the next call.
func (u *User) Links(r Response) *Links {
	u.links.Extract(r.Body, r.URL, u.Scope)
	return &u.links
}

// Do sends req with the user's client and headers, following redirects,
// reads the whole body (into the user's buffer when keepBody, discarded
// otherwise) and records the request if it was sent in the measured
// window. It returns ErrRunOver without sending when the run is over, and
// also when the request was cut by the end of the run (such a request is
// not recorded). Other errors are transport errors, recorded as such.
func (u *User) Do(req *http.Request, keepBody bool) (Response, error) {
	return u.do(req, keepBody)
}

// Send is Do without following redirects: a 3xx response is returned and
// recorded as such, with its Location, and the scenario makes the next
// request itself (recorded as a request of its own), as a form post does.
func (u *User) Send(req *http.Request, keepBody bool) (Response, error) {
	return u.do(req.WithContext(context.WithValue(req.Context(), noRedirectKey{}, true)), keepBody)
}

// noRedirectKey marks the context of a request whose redirects the
// client must not follow (see newClient).
type noRedirectKey struct{}

// CountOrder records an order completed by r, the response of its last
// step, when r was measured.
func (u *User) CountOrder(r Response) {
	if r.Measured {
		u.rec.order()
	}
}

// Unexpected records r, a response the scenario did not expect, as an
// error when it was measured. Responses with an error status are errors
// already and are not counted twice; Unexpected is for the success
// statuses a scenario refuses, such as a redirect to the wrong page.
func (u *User) Unexpected(r Response) {
	if r.Measured && r.OK() {
		u.rec.unexpected()
	}
}

func (u *User) do(req *http.Request, keepBody bool) (Response, error) {
	ctx := req.Context()
	if ctx.Err() != nil {
		return Response{}, ErrRunOver
	}
	start := time.Now()
	measured := !start.Before(u.run.measureFrom)
	if measured && u.run.limit > 0 && u.run.issued.Add(1) > u.run.limit {
		return Response{}, ErrRunOver
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept-Language", u.Lang)

	resp, err := u.Client.Do(req)
	var body []byte
	if err == nil {
		if keepBody {
			u.buf.Reset()
			_, err = u.buf.ReadFrom(io.LimitReader(resp.Body, maxPageBody))
			body = u.buf.Bytes()
		}
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return Response{}, ErrRunOver
		}
		if measured {
			u.rec.transportError()
		}
		return Response{}, err
	}
	if measured {
		u.rec.response(resp.StatusCode, time.Since(start))
	}
	loc, err := resp.Location()
	if err != nil {
		loc = nil // no Location header, or one that does not parse
	}
	return Response{
		Status:      resp.StatusCode,
		URL:         resp.Request.URL,
		ContentType: resp.Header.Get("Content-Type"),
		Location:    loc,
		Body:        body,
		Measured:    measured,
	}, nil
}

// Sleep waits for d or until ctx is done, and returns ErrRunOver then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ErrRunOver
	case <-t.C:
		return nil
	}
}

// Run checks cfg, makes sure the target answers, runs the scenario with
// cfg.Concurrency users for the warm-up then cfg.Duration (or until
// cfg.Requests measured requests, or ctx is cancelled) and reports.
//
// Errors are *UsageError for bad settings, including a target that is not
// this machine; any other error means the target could not be reached.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	scenario, ok := scenarios[cfg.Scenario]
	if !ok {
		return nil, usageErrorf("unknown scenario %q (known: %s)", cfg.Scenario, strings.Join(scenarioNames(), ", "))
	}
	switch {
	case cfg.Concurrency < 1:
		return nil, usageErrorf("-c must be at least 1")
	case cfg.Duration <= 0:
		return nil, usageErrorf("-d must be positive")
	case cfg.Requests < 0:
		return nil, usageErrorf("-n must not be negative")
	case cfg.Warmup < 0:
		return nil, usageErrorf("-warmup must not be negative")
	case cfg.Timeout <= 0:
		return nil, usageErrorf("-timeout must be positive")
	}
	target, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	if !cfg.AllowRemote {
		if err := checkLoopback(ctx, target.Hostname()); err != nil {
			return nil, err
		}
	}

	// The first request, outside the measurement: is anyone there?
	probe := newClient(cfg)
	if err := preflight(ctx, probe, target); err != nil {
		return nil, err
	}
	probe.CloseIdleConnections()

	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	start := time.Now()
	r := &run{measureFrom: start.Add(cfg.Warmup), limit: cfg.Requests}
	deadline := r.measureFrom.Add(cfg.Duration)
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	expect := 4096 // latencies per user before the slice grows
	if cfg.Requests > 0 {
		expect = int(min(cfg.Requests/int64(cfg.Concurrency)+1, int64(expect)))
	}
	users := make([]*User, cfg.Concurrency)
	for i := range users {
		users[i] = &User{
			ID:     i,
			Target: target,
			Scope:  NewScope(target),
			Lang:   acceptLanguages[i%len(acceptLanguages)],
			Rand:   rand.New(rand.NewPCG(seed, uint64(i))),
			Client: newClient(cfg),
			Config: &cfg,
			run:    r,
			rec:    newRecorder(expect),
			cached: map[string]struct{}{},
		}
	}

	var wg sync.WaitGroup
	var errMu sync.Mutex
	var scenarioErrs []error
	for _, u := range users {
		wg.Go(func() {
			if err := scenario(runCtx, u); err != nil && !errors.Is(err, ErrRunOver) {
				errMu.Lock()
				scenarioErrs = append(scenarioErrs, fmt.Errorf("user %d: %w", u.ID, err))
				errMu.Unlock()
			}
		})
	}
	wg.Wait()
	end := time.Now()
	if end.After(deadline) {
		end = deadline
	}
	recs := make([]*recorder, len(users))
	for i, u := range users {
		u.Client.CloseIdleConnections()
		recs[i] = u.rec
	}
	rep := &Report{
		Scenario:    cfg.Scenario,
		Target:      target.String(),
		Concurrency: cfg.Concurrency,
		Duration:    cfg.Duration.String(),
		Stats:       summarize(recs, end.Sub(r.measureFrom)),
	}
	return rep, errors.Join(scenarioErrs...)
}

// parseTarget checks that raw is an absolute http(s) URL.
func parseTarget(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, usageErrorf("-target is required (e.g. http://127.0.0.1:8080/shop/demo)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usageErrorf("-target: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("-target %q: want an http:// or https:// URL with a host", raw)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// checkLoopback returns a *UsageError unless every address host resolves
// to is a loopback address (127.0.0.0/8 or ::1), so that load is only sent
// to this machine. A host that does not resolve is a plain error.
func checkLoopback(ctx context.Context, host string) error {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("target host %q: %w", host, err)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("target host %q has no address", host)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return usageErrorf("refusing target host %q: it resolves to %v, not a loopback address; load may only be sent to this machine unless -allow-remote is given", host, a)
		}
	}
	return nil
}

// preflight makes one request to the target and fails unless it answers
// with a success status.
func preflight(ctx context.Context, c *http.Client, target *url.URL) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("target unreachable: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if isError(resp.StatusCode) {
		return fmt.Errorf("target unreachable: GET %s: %s", target, resp.Status)
	}
	return nil
}

// newClient returns the HTTP client of one virtual user: its own cookie
// jar and transport (hence its own keep-alive connection), compression
// accepted, no proxy, and the cfg.Timeout limit per request. It follows up
// to 10 redirects, none for a request sent by User.Send. Unless remote
// targets are allowed, its dialer refuses any non-loopback address, so
// neither DNS changes nor redirects can send load elsewhere.
func newClient(cfg Config) *http.Client {
	jar, _ := cookiejar.New(nil) // never fails with nil options
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowRemote {
		dialer.Control = loopbackOnly
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       cfg.Timeout,
		CheckRedirect: checkRedirect,
		Transport: &http.Transport{
			Proxy:               nil, // straight to the target, whatever HTTP_PROXY says
			DialContext:         dialer.DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        0,
			MaxIdleConnsPerHost: max(cfg.Concurrency, 2),
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			DisableCompression:  false,
		},
	}
}

// checkRedirect is the redirect policy of the users' clients: the default
// one (at most 10 redirects), except that a request sent by User.Send gets
// its redirect response back instead.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if req.Context().Value(noRedirectKey{}) != nil {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// loopbackOnly is a net.Dialer Control function refusing to connect to an
// address that is not loopback.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("shopload: cannot check address %q: %w", address, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("shopload: refusing to connect to non-loopback address %s (see -allow-remote)", ap.Addr())
	}
	return nil
}
