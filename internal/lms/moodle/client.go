// Package moodle is the shop's connector to Moodle: it implements
// lms.Connector over Moodle's REST web services, speaking the protocol as
// ../shared/reference/moodle_ws.md describes it: POST form-encoded
// arguments in PHP bracket notation, booleans as 0 and 1, never a key the
// function does not define; errors arriving as JSON objects in HTTP 200
// answers, HTTP 403 when web services are off, `null` for functions that
// return nothing, partial failures as warnings.
//
// Every failure is an *lms.Error carrying Moodle's errorcode and whether
// trying again later may help (network errors, timeouts, 5xx, maintenance
// mode) or not (a bad parameter, a missing permission). The sentinels of
// package lms (ErrNoUser, ErrNoCourse, ErrBadCredentials,
// ErrUsernameTaken) are wrapped inside, for errors.Is.
//
// A Client keeps, per instance and never globally: a request rate limit,
// the site's version (read once from core_webservice_get_site_info) and
// the role ids it has learnt.
package moodle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"courseshop/internal/lms"
)

// Options tune a Client. Zero values take the defaults.
type Options struct {
	// Timeout bounds each request (default 20s).
	Timeout time.Duration
	// RateLimit is the number of requests per second the client sends at
	// most (default 10; negative: no limit).
	RateLimit int
	// BatchSize is the number of items sent in one call to functions that
	// take lists (default 100; Moodle truncates requests with more than
	// max_input_vars fields).
	BatchSize int
	// LoginService is the external service named to /login/token.php when
	// checking a customer's password (default "moodle_mobile_app", the
	// only service ordinary users may get a token for: moodle_ws.md §2).
	LoginService string
	// RoleIDs maps role shortnames to this site's role ids. Moodle has no
	// function listing roles, so the client learns ids from course
	// participants and falls back to a standard install's ids for the
	// standard roles; custom roles (customer, supervisor) no participant
	// holds yet must be given here.
	RoleIDs map[string]int64
	// DefaultCategoryID is the category of courses created without one
	// (default 1, the category of a fresh install).
	DefaultCategoryID int64
	// HTTPClient sends the requests (default: a client of the Client's
	// own, so that connection pools are not shared).
	HTTPClient *http.Client
}

// Client is a connection to one Moodle site through one web-service
// token. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	opt   Options
	http  *http.Client
	limit *limiter

	mu         sync.Mutex
	site       *siteInfo        // read once, then kept: the version does not change under a running shop
	roles      map[string]int64 // role shortname → id, learnt or configured
	configured map[string]bool  // roles of Options.RoleIDs, which learning never overrides
}

var (
	_ lms.Connector   = (*Client)(nil)
	_ lms.RoleChecker = (*Client)(nil)
)

// maxBody bounds the answers read: a listing of every course of a large
// site stays well below it.
const maxBody = 64 << 20

// New returns a client of the Moodle site at baseURL (its wwwroot, which
// may include a path) calling with token.
func New(baseURL *url.URL, token string, opt Options) *Client {
	if opt.Timeout <= 0 {
		opt.Timeout = 20 * time.Second
	}
	if opt.RateLimit == 0 {
		opt.RateLimit = 10
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 100
	}
	if opt.LoginService == "" {
		opt.LoginService = "moodle_mobile_app"
	}
	if opt.DefaultCategoryID <= 0 {
		opt.DefaultCategoryID = 1
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// A redirected POST comes back as a GET without its form, which
			// Moodle would answer with a misleading invalidtoken: the
			// redirect is reported instead (see post).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	b := *baseURL
	b.Path = strings.TrimRight(b.Path, "/")
	b.RawPath = ""
	b.RawQuery, b.Fragment = "", ""
	roles, configured := map[string]int64{}, map[string]bool{}
	for k, v := range opt.RoleIDs {
		roles[k], configured[k] = v, true
	}
	opt.RoleIDs = nil // copied: the caller may change its map
	return &Client{base: &b, token: token, opt: opt, http: hc, limit: newLimiter(opt.RateLimit), roles: roles, configured: configured}
}

// URL returns the site's address as the client uses it.
func (c *Client) URL() string { return c.base.String() }

func (c *Client) endpoint(path string) string {
	u := *c.base
	u.Path += "/" + path
	return u.String()
}

// fail builds the error of an operation.
func fail(op, code, msg string, retryable bool, err error) *lms.Error {
	return &lms.Error{Op: op, Code: code, Message: msg, Retryable: retryable, Err: err}
}

// retryableCode reports whether a Moodle errorcode says "try later"
// rather than "this request is wrong".
func retryableCode(code string) bool {
	switch code {
	case "sitemaintenance", // maintenance mode ends
		"dbconnectionfailed": // the database comes back
		return true
	}
	return false
}

// wsError is the body of a failed call (moodle_ws.md §1.4).
type wsError struct {
	Exception string `json:"exception"`
	ErrorCode string `json:"errorcode"`
	Message   string `json:"message"`
	DebugInfo string `json:"debuginfo"`
}

// call runs a web-service function: POST {base}/webservice/rest/server.php
// with the token, the function name, the JSON format and the arguments,
// then decodes the answer into out (nil for functions answering null).
func (c *Client) call(ctx context.Context, wsfunction string, args url.Values, out any) error {
	form := url.Values{}
	for k, v := range args {
		form[k] = v
	}
	form.Set("wstoken", c.token)
	form.Set("wsfunction", wsfunction)
	// The default format, also for errors, is XML.
	form.Set("moodlewsrestformat", "json")
	body, err := c.post(ctx, wsfunction, c.endpoint("webservice/rest/server.php"), form)
	if err != nil {
		return err
	}
	return decodeAnswer(wsfunction, body, out)
}

// callP is call with arguments given as a tree.
func (c *Client) callP(ctx context.Context, wsfunction string, p params, out any) error {
	args, err := encode(p)
	if err != nil {
		return fail(wsfunction, "", "", false, err)
	}
	return c.call(ctx, wsfunction, args, out)
}

// decodeAnswer reads the body of an HTTP 200 from server.php: an error
// object, null, or the function's result.
func decodeAnswer(op string, body []byte, out any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return fail(op, "badresponse", "empty answer from Moodle", false, nil)
	}
	if body[0] == '{' {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(body, &probe); err == nil {
			if _, ok := probe["exception"]; ok {
				var e wsError
				_ = json.Unmarshal(body, &e)
				return moodleError(op, e.ErrorCode, e.Message, e.DebugInfo)
			}
		}
	}
	if string(body) == "null" {
		// Void functions answer null; so did update_users before 4.0.
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fail(op, "badresponse", "Moodle's answer is not what the function returns: "+snippet(body), false, err)
	}
	return nil
}

func moodleError(op, code, msg, debug string) *lms.Error {
	if debug != "" && !strings.Contains(msg, debug) {
		msg += " (" + debug + ")"
	}
	return fail(op, code, msg, retryableCode(code), nil)
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// post sends a form to Moodle under the rate limit and the timeout, and
// returns the body of a 200. Everything else is classified: 403 means web
// services are off (permanent), 5xx, 429, timeouts and network errors may
// pass (retryable).
func (c *Client) post(ctx context.Context, op, endpoint string, form url.Values) ([]byte, error) {
	if err := c.limit.wait(ctx); err != nil {
		return nil, fail(op, "", "not sent", true, err)
	}
	rctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fail(op, "", "", false, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, op, c.opt.Timeout, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, transportError(ctx, op, c.opt.Timeout, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusForbidden:
		return nil, fail(op, "webservicesnotenabled",
			"Moodle answered HTTP 403: web services or the REST protocol are disabled on the site "+
				"(Site administration > General > Advanced features > Enable web services; "+
				"Server > Web services > Manage protocols > REST)", false, nil)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fail(op, "", "Moodle answered HTTP "+resp.Status+" towards "+strconv.Quote(resp.Header.Get("Location"))+
			": give the site's own address (often https://) as the Moodle URL", false, nil)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fail(op, "", "Moodle answered HTTP 404 for "+endpoint+": is the Moodle URL right?", false, nil)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return nil, fail(op, "", "Moodle answered HTTP "+resp.Status, true, nil)
	default:
		return nil, fail(op, "", "Moodle answered HTTP "+resp.Status+": "+snippet(body), false, nil)
	}
}

// transportError classifies a failure to get an answer: all of them may
// pass, and the cause stays reachable for errors.Is (context.Canceled when
// the caller gave up).
func transportError(ctx context.Context, op string, timeout time.Duration, err error) *lms.Error {
	if ctx.Err() != nil {
		return fail(op, "", "request abandoned", true, ctx.Err())
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fail(op, "timeout", fmt.Sprintf("no answer from Moodle within %s", timeout), true, err)
	}
	return fail(op, "", "cannot reach Moodle", true, err)
}

// warning is an item of a function's warnings list (moodle_ws.md §1.5).
type warning struct {
	Item        string `json:"item"`
	ItemID      int64  `json:"itemid"`
	WarningCode string `json:"warningcode"`
	Message     string `json:"message"`
}

// warningsError turns warnings into an error: a call that "succeeded" while
// doing nothing for an item has failed for the shop.
func warningsError(op string, ws []warning) error {
	if len(ws) == 0 {
		return nil
	}
	w := ws[0]
	msg := w.Message
	if len(ws) > 1 {
		msg += fmt.Sprintf(" (and %d more warnings)", len(ws)-1)
	}
	return fail(op, w.WarningCode, msg, false, nil)
}

// flexInt decodes a JSON number, a numeric string or a boolean: Moodle's
// PARAM_RAW fields keep whatever PHP type they had (moodle_ws.md §1.3).
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "", "null", "false":
		*f = 0
		return nil
	case "true":
		*f = 1
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("moodle: not an integer: %s", b)
	}
	*f = flexInt(n)
	return nil
}
