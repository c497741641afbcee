package web

import (
	"errors"
	"net/http"

	"courseshop/internal/catalog"
)

// renewProduct puts the extension of one of the customer's products in
// the cart, its reference filled in, and goes on to the checkout. A sales
// rule that refuses it is said on the account page.
func (s *Server) renewProduct(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	token, rn, err := s.Shop.Renew(r.Context(), shopCode, cartToken(r, shopCode), l.Lang(), r.PathValue("ref"), s.buyer(r))
	var refusal *catalog.Refusal
	switch {
	case errors.As(err, &refusal):
		s.flash(w, r, "error", refusalText(l, err, rn.Product))
		http.Redirect(w, r, "/shop/"+shopCode+"/account#products", http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	s.setCartToken(w, r, shopCode, token)
	s.flash(w, r, "info", l.T("account.renew_added", "Product", rn.Product, "Reference", rn.Reference))
	http.Redirect(w, r, "/shop/"+shopCode+"/checkout", http.StatusSeeOther)
	return nil
}
