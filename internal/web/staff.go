package web

import (
	"errors"
	"net/http"
	"time"

	"courseshop/internal/shop"
	"courseshop/internal/user"
)

// sessionStaff is the session key holding the id of the back-office user
// signed in. Staff accounts are the shop's own, so unlike customer
// sign-in it is not per shop.
const sessionStaff = "staff"

// staffSigninView is the back-office sign-in page: the e-mail typed so far
// and the error.
type staffSigninView struct {
	Email string
	Error string
}

// staff returns the back-office user of the request's session, or nil. An
// account disabled since sign-in is signed out at once.
func (s *Server) staff(r *http.Request) *user.User {
	id := s.sessions.GetInt64(r.Context(), sessionStaff)
	if id == 0 {
		return nil
	}
	u, err := s.Shop.StaffUser(r.Context(), id)
	if err != nil {
		if !errors.Is(err, shop.ErrNotFound) {
			infoOf(r.Context()).log.Warn("staff user", "error", err)
		}
		return nil
	}
	return u
}

// staffSigninPage shows the back-office sign-in form.
func (s *Server) staffSigninPage(w http.ResponseWriter, r *http.Request) error {
	if s.staff(r) != nil {
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return nil
	}
	return s.renderStaffSignin(w, r, http.StatusOK, staffSigninView{})
}

func (s *Server) renderStaffSignin(w http.ResponseWriter, r *http.Request, status int, v staffSigninView) error {
	p := s.page(r, v)
	p.Title = p.L.T("admin.signin_title")
	p.Flashes = s.takeFlashes(w, r)
	return s.Views.Render(w, status, "admin_signin", p)
}

// staffSignin checks a back-office user's credentials. Attempts share the
// per-address limit of customer sign-in; the session token is renewed on
// success.
func (s *Server) staffSignin(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	v := staffSigninView{Email: r.PostFormValue("email")}
	if !s.signinLimit.allow(clientIP(r), time.Now()) {
		v.Error = l.T("signin.too_many")
		return s.renderStaffSignin(w, r, http.StatusTooManyRequests, v)
	}
	u, err := s.Shop.StaffSignIn(r.Context(), v.Email, r.PostFormValue("password"))
	if errors.Is(err, shop.ErrBadStaffCredentials) {
		v.Error = l.T("admin.bad_credentials")
		return s.renderStaffSignin(w, r, http.StatusUnauthorized, v)
	}
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionStaff, u.ID)
	s.flash(w, r, "info", l.T("admin.welcome", "Name", u.DisplayName))
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

// staffSignout ends the back-office session; a customer signed in to a
// shop in the same browser stays signed in there.
func (s *Server) staffSignout(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), sessionStaff)
	s.flash(w, r, "info", s.localizer(r).T("admin.signed_out"))
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
	return nil
}

// adminHome is the back office's landing page.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) error {
	u := s.staff(r)
	if u == nil {
		http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
		return nil
	}
	shops, err := s.Shop.Shops(r.Context())
	if err != nil {
		return err
	}
	p := s.page(r, map[string]any{"User": u, "Shops": shops})
	p.Title = p.L.T("admin.title")
	p.Flashes = s.takeFlashes(w, r)
	return s.Views.Render(w, http.StatusOK, "admin", p)
}
