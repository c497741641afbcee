package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"courseshop/internal/shop"
)

// eraseForm is the "erase my data" confirmation as typed, and why it was
// refused.
type eraseForm struct {
	Email   string
	Problem string
}

// eraseMyData erases the signed-in customer's personal data once they
// have typed their e-mail again, then signs them out (the customer record
// they were bound to is nobody's any more) and forgets their cart.
func (s *Server) eraseMyData(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	f := eraseForm{Email: r.PostFormValue("confirm_email")}
	_, problems, err := s.Shop.EraseMyData(r.Context(), shopCode, s.buyer(r), f.Email, cartToken(r, shopCode), clientIP(r))
	var busy *shop.OrdersInProgressError
	switch {
	case errors.As(err, &busy):
		f.Problem = l.T("erase.orders_in_progress", "Numbers", strings.Join(busy.Numbers, ", "))
		return s.renderAccount(w, r, http.StatusConflict, accountData{Erase: f})
	case errors.Is(err, shop.ErrLMSUnavailable):
		infoOf(r.Context()).log.Warn("erasure refused: LMS unavailable", slog.Any("error", err))
		s.flash(w, r, "error", l.T("erase.lms_unavailable"))
		http.Redirect(w, r, "/shop/"+shopCode+"/account#privacy", http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	case len(problems) > 0:
		f.Problem = l.T(problems[0].Key)
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Erase: f})
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), sessionUser(shopCode))
	http.SetCookie(w, &http.Cookie{Name: cartCookie(shopCode), Path: "/shop/" + shopCode, MaxAge: -1, HttpOnly: true,
		Secure: s.BaseURL.Scheme == "https", SameSite: http.SameSiteLaxMode})
	s.flash(w, r, "info", l.T("erase.done"))
	// The sign-in page, as after signing out; the shop's home page is
	// cached and shows no messages.
	http.Redirect(w, r, "/shop/"+shopCode+"/signin", http.StatusSeeOther)
	return nil
}
