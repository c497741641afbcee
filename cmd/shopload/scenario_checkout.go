package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

func init() { registerScenario("checkout", checkout) }

// defaultProducts are the demo shop's products that a guest can buy
// without per-unit answers or participants: the checkout goes straight
// from the cart to the customer step.
const defaultProducts = "BOOK-PM,SEC-PHISH,EN-TEST,LIC-ALL-1Y,BOOK-SCRUM"

// defaultMode is the payment mode chosen at the review step: the demo shop
// offers the test mode to everyone.
const defaultMode = "test"

// errUnexpected is a purchase abandoned because a step did not answer as
// the checkout does; the response was counted as an error.
var errUnexpected = errors.New("unexpected response")

// checkout is a buyer completing purchases as fast as it can, through the
// shop's forms, each step a request of its own (redirects are read, not
// followed, and the page they lead to is requested next):
//
//  1. POST SHOP/cart/add code=CODE&quantity=1 for one or two different
//     products of Config.Products → 303 SHOP/cart, GET it → 200;
//  2. GET SHOP/checkout → 303 SHOP/checkout/customer, GET it → 200 with
//     the form's hidden rev;
//  3. POST SHOP/checkout/customer with rev and a new buyer's contact (a
//     fresh e-mail per purchase) → 303 SHOP/checkout/review;
//  4. GET SHOP/checkout/review → 200 with rev, POST it with rev, the terms
//     accepted and Config.Mode → 303 SHOP/orders/NUMBER, GET it → 200:
//     the order is counted.
//
// Any other answer is an error (counted by the stats, or by
// User.Unexpected for a success status) and the buyer starts over, first
// emptying its cart (POST SHOP/cart/clear → 303 SHOP/cart, GET it). The
// user's cookie jar keeps its cart and session cookies from one purchase
// to the next, like a returning buyer's browser.
func checkout(ctx context.Context, u *User) error {
	if len(u.Config.Products) == 0 {
		return errors.New("checkout: no product codes to buy")
	}
	b := newBuyer(u)
	for seq := 1; ; seq++ {
		err := b.purchase(ctx, seq)
		switch {
		case err == nil:
			b.dirty = false
		case errors.Is(err, ErrRunOver):
			return nil
		case errors.Is(err, errUnexpected):
			b.dirty = true
		default: // no response: do not spin on a dead server
			b.dirty = true
			if Sleep(ctx, errorPause) != nil {
				return nil
			}
		}
	}
}

// buyer is the state of one user running the checkout scenario.
type buyer struct {
	u      *User
	origin string // scheme://host of the target, the Origin of its forms
	shop   string // path of the shop, e.g. /shop/demo
	dirty  bool   // the last purchase failed: its cart may hold products
}

func newBuyer(u *User) *buyer {
	return &buyer{
		u:      u,
		origin: u.Target.Scheme + "://" + u.Target.Host,
		shop:   strings.TrimSuffix(u.Target.EscapedPath(), "/"),
	}
}

// url returns the absolute URL of the shop's path p, e.g. "/cart".
func (b *buyer) url(p string) string { return b.origin + b.shop + p }

// purchase makes one purchase, the seq-th of the user. It returns nil once
// the order page answered 200, ErrRunOver when the run is over,
// errUnexpected after a response the checkout does not give, and the
// transport error of a request that got no response.
func (b *buyer) purchase(ctx context.Context, seq int) error {
	if b.dirty {
		if err := b.submit(ctx, "/cart/clear", nil, b.isPath("/cart")); err != nil {
			return err
		}
	}
	for _, code := range b.pick() {
		if err := b.submit(ctx, "/cart/add", url.Values{"code": {code}, "quantity": {"1"}}, b.isPath("/cart")); err != nil {
			return err
		}
	}
	resp, err := b.get(ctx, b.url("/checkout"))
	loc, err := b.redirect(resp, err, b.isPath("/checkout/customer"))
	if err != nil {
		return err
	}
	rev, err := b.formRev(ctx, loc)
	if err != nil {
		return err
	}
	contact := url.Values{
		"rev":        {rev},
		"email":      {"buyer-" + strconv.Itoa(b.u.ID) + "-" + strconv.Itoa(seq) + "@example.com"},
		"first_name": {"Load"},
		"last_name":  {"Tester"},
		"country":    {"FR"},
		"city":       {"Paris"},
	}
	resp, err = b.post(ctx, "/checkout/customer", contact)
	loc, err = b.redirect(resp, err, b.isPath("/checkout/review"))
	if err != nil {
		return err
	}
	if rev, err = b.formRev(ctx, loc); err != nil {
		return err
	}
	place := url.Values{"rev": {rev}, "terms": {"yes"}, "mode": {b.u.Config.Mode}}
	resp, err = b.post(ctx, "/checkout/review", place)
	loc, err = b.redirect(resp, err, b.isOrder)
	if err != nil {
		return err
	}
	resp, err = b.page(ctx, loc)
	if err != nil {
		return err
	}
	b.u.CountOrder(resp)
	return nil
}

// pick returns the codes of one purchase: one or two different products.
func (b *buyer) pick() []string {
	codes, r := b.u.Config.Products, b.u.Rand
	i := r.IntN(len(codes))
	if len(codes) < 2 || r.IntN(2) == 0 {
		return []string{codes[i]}
	}
	j := r.IntN(len(codes) - 1)
	if j >= i {
		j++
	}
	return []string{codes[i], codes[j]}
}

// submit posts form to the shop's path p, expects a redirect to a page
// accepted by want and loads that page.
func (b *buyer) submit(ctx context.Context, p string, form url.Values, want func(*url.URL) bool) error {
	resp, err := b.post(ctx, p, form)
	loc, err := b.redirect(resp, err, want)
	if err != nil {
		return err
	}
	_, err = b.page(ctx, loc)
	return err
}

// formRev loads the checkout page at loc and returns the revision its form
// carries in its hidden rev input.
func (b *buyer) formRev(ctx context.Context, loc string) (string, error) {
	resp, err := b.page(ctx, loc)
	if err != nil {
		return "", err
	}
	rev, ok := findRev(resp.Body)
	if !ok {
		b.u.Unexpected(resp)
		return "", fmt.Errorf("%w: no rev in the form of %s", errUnexpected, loc)
	}
	return rev, nil
}

// page GETs loc, without following a redirect, and expects it to answer
// 200 with a body.
func (b *buyer) page(ctx context.Context, loc string) (Response, error) {
	resp, err := b.get(ctx, loc)
	if err != nil {
		return resp, err
	}
	if resp.Status != http.StatusOK {
		b.u.Unexpected(resp)
		return resp, fmt.Errorf("%w: GET %s: status %d, want 200", errUnexpected, loc, resp.Status)
	}
	return resp, nil
}

// redirect checks that a request got a 303 redirect to a page accepted by
// want, and returns that page's URL.
func (b *buyer) redirect(resp Response, err error, want func(*url.URL) bool) (string, error) {
	if err != nil {
		return "", err
	}
	if resp.Status != http.StatusSeeOther || resp.Location == nil || !b.sameOrigin(resp.Location) || !want(resp.Location) {
		b.u.Unexpected(resp)
		return "", fmt.Errorf("%w: %s: status %d to %v, want 303 to the next step", errUnexpected, resp.URL, resp.Status, resp.Location)
	}
	return resp.Location.String(), nil
}

// isPath returns a check that a URL is the shop's path p.
func (b *buyer) isPath(p string) func(*url.URL) bool {
	want := b.shop + p
	return func(l *url.URL) bool { return l.EscapedPath() == want }
}

// isOrder reports whether l is the page of an order of the shop,
// SHOP/orders/NUMBER.
func (b *buyer) isOrder(l *url.URL) bool {
	number, ok := strings.CutPrefix(l.EscapedPath(), b.shop+"/orders/")
	return ok && number != "" && !strings.Contains(number, "/")
}

// sameOrigin reports whether l is on the target's scheme and host.
func (b *buyer) sameOrigin(l *url.URL) bool {
	return l.Scheme == b.u.Target.Scheme && l.Host == b.u.Target.Host
}

// get requests loc as a browser navigation, keeping its body.
func (b *buyer) get(ctx context.Context, loc string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", acceptPage)
	return b.u.Send(req, true)
}

// post submits form to the shop's path p as a browser does, from a page of
// the shop (hence its Origin header).
func (b *buyer) post(ctx context.Context, p string, form url.Values) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url(p), strings.NewReader(form.Encode()))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", acceptPage)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.origin)
	return b.u.Send(req, false)
}

var (
	// revInput is an input element named rev; revValue its value.
	revInput = regexp.MustCompile(`<input\b[^>]*\bname="rev"[^>]*>`)
	revValue = regexp.MustCompile(`\bvalue="([0-9]+)"`)
)

// findRev returns the value of the first input named rev of a page.
func findRev(page []byte) (string, bool) {
	in := revInput.Find(page)
	if in == nil {
		return "", false
	}
	m := revValue.FindSubmatch(in)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}
