package web

import (
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/i18n"
	"courseshop/internal/shop"
)

// cartCookie names the cookie holding a shop's cart token. Its path is the
// shop's, so each shop has its own cart and the cookie goes nowhere else.
func cartCookie(shopCode string) string { return "cart_" + shopCode }

// cartToken returns the visitor's cart token for a shop, or "".
func cartToken(r *http.Request, shopCode string) string {
	c, err := r.Cookie(cartCookie(shopCode))
	if err != nil {
		return ""
	}
	return c.Value
}

// setCartToken stores a (new) cart token in the visitor's browser.
func (s *Server) setCartToken(w http.ResponseWriter, r *http.Request, shopCode, token string) {
	if token == "" || token == cartToken(r, shopCode) {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cartCookie(shopCode), Value: token, Path: "/shop/" + shopCode,
		MaxAge: int(shop.CartLifetime / time.Second), HttpOnly: true, Secure: s.BaseURL.Scheme == "https", SameSite: http.SameSiteLaxMode,
	})
}

// refusalText localises why a cart change was refused.
func refusalText(l *i18n.Localizer, err error, name string) string {
	var r *catalog.Refusal
	if !errors.As(err, &r) {
		return err.Error()
	}
	if name == "" {
		name = r.Code
	}
	return l.T("refusal."+string(r.Reason), "Product", name, "Limit", r.Limit)
}

func (s *Server) cartURL(shopCode string) string { return "/shop/" + shopCode + "/cart" }

// cartView is the cart page with what the buyer typed in the quantity
// fields and the error of each field.
type cartView struct {
	*shop.CartView
	Typed  map[string]string
	Errors map[string]string
}

// cartPage shows the cart.
func (s *Server) cartPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCart(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderCart(w http.ResponseWriter, r *http.Request, status int, typed, errs map[string]string) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	cv, err := s.Shop.Cart(r.Context(), shopCode, cartToken(r, shopCode), l.Lang(), s.visitor(r))
	if err != nil {
		return err
	}
	v := cartView{CartView: cv, Typed: map[string]string{}, Errors: errs}
	for _, line := range cv.Lines {
		v.Typed[line.Code] = strconv.Itoa(line.Quantity)
	}
	for code, q := range typed {
		v.Typed[code] = q
	}
	p := s.shopPageData(r, l, cv.Shop, v)
	p.Title = l.T("cart.title")
	p.Flashes = s.takeFlashes(w, r)
	sum := cv.Summary()
	return s.renderShopCart(w, r, status, "cart", p, &sum)
}

// cartAdd puts a product in the cart from its page. A refusal shows the
// product page again with the reason next to the quantity typed.
func (s *Server) cartAdd(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode, code, typed := r.PathValue("shop"), r.PostFormValue("code"), r.PostFormValue("quantity")
	qty, convErr := strconv.Atoi(strings.TrimSpace(typed))
	if convErr != nil {
		return s.productError(w, r, l, productView{Quantity: typed, Error: l.T("cart.quantity_invalid")})
	}
	token, err := s.Shop.AddToCart(r.Context(), shopCode, cartToken(r, shopCode), s.visitor(r), code, qty)
	var refusal *catalog.Refusal
	switch {
	case errors.As(err, &refusal):
		msg := refusalText(l, err, s.productName(r, l, code))
		perr := s.productError(w, r, l, productView{Quantity: typed, Error: msg})
		if !errors.Is(perr, shop.ErrNotFound) {
			return perr
		}
		// No product page to come back to (unknown code, internal
		// product): say why on the cart page.
		s.flash(w, r, "error", msg)
		http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	s.setCartToken(w, r, shopCode, token)
	s.flash(w, r, "info", l.T("cart.added", "Product", s.productName(r, l, code)))
	http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	return nil
}

// productName is the name of a product of the request's shop, for
// messages; the code when it cannot be found.
func (s *Server) productName(r *http.Request, l *i18n.Localizer, code string) string {
	pp, err := s.Shop.ProductPage(r.Context(), r.PathValue("shop"), code, l.Lang(), s.visitor(r), false)
	if err != nil {
		return code
	}
	return pp.Card.Name
}

// productError shows the product page again with a form error, status 422.
func (s *Server) productError(w http.ResponseWriter, r *http.Request, l *i18n.Localizer, pv productView) error {
	shopCode := r.PathValue("shop")
	unlocked, err := s.Shop.PasscodeUnlocked(r.Context(), shopCode, cartToken(r, shopCode), productCode(r))
	if err != nil {
		return err
	}
	p, err := s.productPage(r, l, pv, unlocked)
	if err != nil {
		return err
	}
	return s.renderShop(w, r, http.StatusUnprocessableEntity, "product", p)
}

// cartUpdate sets the quantities typed on the cart page (fields
// qty.CODE). Nothing changes unless every quantity is accepted.
func (s *Server) cartUpdate(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	if err := r.ParseForm(); err != nil {
		return err
	}
	typed, errs, qty := map[string]string{}, map[string]string{}, map[string]int{}
	for key, vals := range r.PostForm {
		code, ok := strings.CutPrefix(key, "qty.")
		if !ok || len(vals) == 0 {
			continue
		}
		typed[code] = vals[0]
		n, err := strconv.Atoi(strings.TrimSpace(vals[0]))
		if err != nil {
			errs[code] = l.T("cart.quantity_invalid")
			continue
		}
		qty[code] = n
	}
	if len(errs) == 0 {
		refused, err := s.Shop.SetQuantities(r.Context(), shopCode, cartToken(r, shopCode), s.visitor(r), qty)
		if err != nil {
			return err
		}
		for _, e := range refused {
			var ref *catalog.Refusal
			errors.As(e, &ref)
			errs[ref.Code] = refusalText(l, e, s.productName(r, l, ref.Code))
		}
	}
	if len(errs) > 0 {
		return s.renderCart(w, r, http.StatusUnprocessableEntity, typed, errs)
	}
	s.flash(w, r, "info", l.T("cart.updated"))
	http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	return nil
}

// cartRemove takes a product out of the cart.
func (s *Server) cartRemove(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode, code := r.PathValue("shop"), r.PostFormValue("code")
	if err := s.Shop.RemoveFromCart(r.Context(), shopCode, cartToken(r, shopCode), code); err != nil {
		var ref *catalog.Refusal
		if !errors.As(err, &ref) {
			return err
		}
		s.flash(w, r, "error", refusalText(l, err, code))
	} else {
		s.flash(w, r, "info", l.T("cart.removed", "Product", s.productName(r, l, code)))
	}
	http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	return nil
}

// cartClear empties the cart.
func (s *Server) cartClear(w http.ResponseWriter, r *http.Request) error {
	shopCode := r.PathValue("shop")
	if err := s.Shop.ClearCart(r.Context(), shopCode, cartToken(r, shopCode)); err != nil {
		return err
	}
	s.flash(w, r, "info", s.localizer(r).T("cart.cleared"))
	http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	return nil
}

// unlock checks a product's passcode. Attempts are limited per client
// address here and per cart in the service.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode, code := r.PathValue("shop"), r.PathValue("code")
	if !s.passcodeLimit.allow(clientIP(r), time.Now()) {
		return s.productError(w, r, l, productView{Quantity: "1", PasscodeError: l.T("passcode.blocked")})
	}
	token, err := s.Shop.UnlockProduct(r.Context(), shopCode, cartToken(r, shopCode), code, r.PostFormValue("passcode"))
	s.setCartToken(w, r, shopCode, token)
	switch {
	case errors.Is(err, shop.ErrWrongPasscode):
		return s.productError(w, r, l, productView{Quantity: "1", PasscodeError: l.T("passcode.wrong")})
	case errors.Is(err, shop.ErrPasscodeBlocked):
		return s.productError(w, r, l, productView{Quantity: "1", PasscodeError: l.T("passcode.blocked")})
	case err != nil:
		var ref *catalog.Refusal
		if errors.As(err, &ref) {
			return errNotFound
		}
		return err
	}
	s.flash(w, r, "info", l.T("passcode.accepted", "Product", s.productName(r, l, code)))
	http.Redirect(w, r, "/shop/"+shopCode+"/p/"+code, http.StatusSeeOther)
	return nil
}

// partnerTag is the accepted shape of ?partner= on deep links.
var partnerTag = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// cartImport fills the cart from a deep link: /shop/{shop}/import?CODE=2&
// OTHER=1[&partner=KEY_TAG]. Each product goes through the same rules as
// an addition from its page; refused ones are reported on the cart page.
func (s *Server) cartImport(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	q := r.URL.Query()
	partner := q.Get("partner")
	if !partnerTag.MatchString(partner) {
		partner = ""
	}
	var items []shop.ImportItem
	var bad []string
	codes := make([]string, 0, len(q))
	for code := range q {
		if code != "partner" {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		n, err := strconv.Atoi(strings.TrimSpace(q.Get(code)))
		if err != nil || n <= 0 {
			bad = append(bad, refusalText(l, &catalog.Refusal{Code: code, Reason: catalog.ReasonBadQuantity}, code))
			continue
		}
		items = append(items, shop.ImportItem{Code: code, Quantity: n})
	}
	token, refused, err := s.Shop.ImportToCart(r.Context(), shopCode, cartToken(r, shopCode), s.visitor(r), items, partner)
	if err != nil {
		return err
	}
	s.setCartToken(w, r, shopCode, token)
	if added := len(items) - len(refused); added > 0 {
		s.flash(w, r, "info", l.N("cart.import_done", added))
	}
	for _, e := range refused {
		var ref *catalog.Refusal
		errors.As(e, &ref)
		bad = append(bad, refusalText(l, e, s.productName(r, l, ref.Code)))
	}
	for _, msg := range bad {
		s.flash(w, r, "error", msg)
	}
	http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	return nil
}
