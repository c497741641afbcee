package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"courseshop/internal/catalog"
	"courseshop/internal/order"
	"courseshop/internal/payment"
	"courseshop/internal/shop"
)

// reviewPage shows the review step.
func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, status int, v checkoutView) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	rv, err := s.Shop.Review(r.Context(), shopCode, cartToken(r, shopCode), l.Lang(), s.buyer(r))
	if s.checkoutRedirect(w, r, l, err) {
		return nil
	}
	if err != nil {
		return err
	}
	v.CheckoutView = rv.CheckoutView
	if v.Typed == nil {
		v.Typed = map[string]string{}
	}
	p := s.shopPageData(r, l, rv.Cart.Shop, reviewView{checkoutView: v, Terms: rv.Terms, Modes: rv.Modes})
	p.Title = l.T("checkout.step.review")
	p.Flashes = s.takeFlashes(w, r)
	sum := rv.Cart.Summary()
	return s.renderShopCart(w, r, status, "checkout_review", p, &sum)
}

// reviewView is the review page's data.
type reviewView struct {
	checkoutView
	Terms []shop.Terms
	Modes []string
}

// placeOrder places the order from the review step, or shows the review
// again with the reason it cannot be placed.
func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request, v checkoutView) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	rev, err := strconv.Atoi(v.Typed["rev"])
	if err != nil {
		rev = -1
	}
	f := shop.PlaceForm{Rev: rev, TermsAccepted: v.Typed["terms"] != "", Mode: v.Typed["mode"],
		PaymentInput: map[string]string{order.PaymentDataPONumber: v.Typed[order.PaymentDataPONumber]}}
	placed, err := s.Shop.PlaceOrder(r.Context(), shopCode, cartToken(r, shopCode), l.Lang(), s.buyer(r), f)
	var inputErr *payment.InputError
	var soldOut *order.SoldOutError
	var refusal *catalog.Refusal
	switch {
	case err == nil:
	case errors.Is(err, shop.ErrStale):
		v.Typed, v.Notice = nil, l.T("checkout.stale")
		return s.reviewPage(w, r, http.StatusConflict, v)
	case errors.Is(err, shop.ErrTermsNotAccepted):
		v.Errors["terms"] = l.T("review.terms_required")
		return s.reviewPage(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, payment.ErrModeNotAllowed):
		v.Errors["mode"] = l.T("review.mode_not_allowed")
		return s.reviewPage(w, r, http.StatusUnprocessableEntity, v)
	case errors.As(err, &inputErr):
		for _, p := range inputErr.Problems {
			v.Errors[p.Field] = l.T(p.Key)
		}
		return s.reviewPage(w, r, http.StatusUnprocessableEntity, v)
	case errors.As(err, &soldOut):
		v.Notice = l.T("refusal.sold_out", "Product", soldOut.Code)
		return s.reviewPage(w, r, http.StatusConflict, v)
	case errors.As(err, &refusal):
		v.Notice = refusalText(l, refusal, s.productName(r, l, refusal.Code))
		return s.reviewPage(w, r, http.StatusConflict, v)
	case s.checkoutRedirect(w, r, l, err):
		return nil
	default:
		return err
	}
	// The buyer lands on the order's signed link, the one its mails carry:
	// it is their key to the page, with no session to write.
	u, err := url.Parse(placed.URL)
	if err != nil {
		return err
	}
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
	return nil
}

// orderPage shows an order to whoever may see it; to anyone else it does
// not exist.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	op, err := s.Shop.Order(r.Context(), r.PathValue("shop"), r.PathValue("number"),
		shop.OrderAccess{Buyer: s.buyer(r), LinkKey: r.URL.Query().Get("k")})
	if err != nil {
		return err
	}
	p := s.shopPageData(r, l, op.Shop, op)
	p.Title = l.T("order.title", "Number", op.Order.Number)
	p.Flashes = s.takeFlashes(w, r)
	w.Header().Set("Referrer-Policy", "no-referrer") // the signed link must not leak
	w.Header().Set("Cache-Control", privatePage)
	return s.renderShop(w, r, http.StatusOK, "order", p)
}
