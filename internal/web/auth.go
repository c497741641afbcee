package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/mailaddr"
	"courseshop/internal/shop"
	"courseshop/internal/web/view"
)

// sessionUser is the session key holding the LMS user signed in to a shop.
// Shops may use different learning platforms, so sign-in is per shop.
func sessionUser(shopCode string) string { return "user." + shopCode }

// signinView is the sign-in page: the login typed so far and the error.
type signinView struct {
	Next      string
	Login     string
	Error     string
	Email     string // typed in the link form
	LinkError string
}

// signinPage shows the sign-in form.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSignin(w, r, http.StatusOK, signinView{Next: localPath(r.URL.Query().Get("next")), Login: r.URL.Query().Get("login")})
}

func (s *Server) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) error {
	l := s.localizer(r)
	home, err := s.Shop.ShopHome(r.Context(), r.PathValue("shop"), l.Lang(), s.visitor(r), 1)
	if err != nil {
		return err
	}
	p := s.shopPageData(r, l, home.Shop, v)
	p.Title = l.T("signin.title")
	p.Flashes = s.takeFlashes(w, r)
	return s.renderShop(w, r, status, "signin", p)
}

// signin checks credentials with the shop's LMS. Attempts are limited per
// client address; the session token is renewed on success so that a
// session fixed by someone else before sign-in is worthless after it.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	v := signinView{Next: localPath(r.PostFormValue("next")), Login: r.PostFormValue("login")}
	if !s.signinLimit.allow(clientIP(r), time.Now()) {
		v.Error = l.T("signin.too_many")
		return s.renderSignin(w, r, http.StatusTooManyRequests, v)
	}
	u, err := s.Shop.SignIn(r.Context(), r.PathValue("shop"), v.Login, r.PostFormValue("password"))
	if errors.Is(err, lms.ErrBadCredentials) {
		v.Error = l.T("signin.bad_credentials")
		return s.renderSignin(w, r, http.StatusUnauthorized, v)
	}
	if err != nil {
		return err
	}
	return s.signedIn(w, r, u, v.Next)
}

// signedIn starts the session of u and sends them on.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, u *lms.User, next string) error {
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionUser(r.PathValue("shop")), u.Ref)
	s.flash(w, r, "info", s.localizer(r).T("signin.welcome", "Name", u.FirstName))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signout forgets the signed-in user of the shop.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), sessionUser(r.PathValue("shop")))
	http.Redirect(w, r, "/shop/"+r.PathValue("shop"), http.StatusSeeOther)
	return nil
}

// withAccount adds the signed-in buyer's name to a page's header.
func (s *Server) withAccount(r *http.Request, p *view.Page) {
	b := s.buyer(r)
	if b.UserRef == "" {
		return
	}
	if u, err := s.Shop.Account(r.Context(), r.PathValue("shop"), b); err == nil {
		p.Account = u.FirstName + " " + u.LastName
	}
}

// signinLinkRequest mails a one-time sign-in link. The page says the same
// whether the address has an account or not.
func (s *Server) signinLinkRequest(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"))
	v := signinView{Next: next, Email: email}
	if _, err := mailaddr.Parse(email); err != nil {
		v.LinkError = l.T("form.email_invalid")
		return s.renderSignin(w, r, http.StatusUnprocessableEntity, v)
	}
	if !s.signinLimit.allow(clientIP(r), time.Now()) {
		v.LinkError = l.T("signin.too_many")
		return s.renderSignin(w, r, http.StatusTooManyRequests, v)
	}
	err := s.Shop.RequestSigninLink(r.Context(), r.PathValue("shop"), email, l.Lang(), next)
	if errors.Is(err, shop.ErrTooManyLinks) {
		v.LinkError = l.T("signin.too_many_links")
		return s.renderSignin(w, r, http.StatusTooManyRequests, v)
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "info", l.T("signin.link_sent", "Email", email))
	http.Redirect(w, r, "/shop/"+r.PathValue("shop")+"/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
	return nil
}

// signinLinkPage asks to confirm a sign-in link. Opening the link changes
// nothing: mail scanners that fetch links must not use them up.
func (s *Server) signinLinkPage(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	home, err := s.Shop.ShopHome(r.Context(), r.PathValue("shop"), l.Lang(), s.visitor(r), 1)
	if err != nil {
		return err
	}
	p := s.shopPageData(r, l, home.Shop, nil)
	p.Title = l.T("signin.title")
	return s.renderShop(w, r, http.StatusOK, "signin_link", p)
}

// signinLink signs in with a one-time link from a mail, once confirmed.
func (s *Server) signinLink(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	u, err := s.Shop.UseSigninLink(r.Context(), r.PathValue("shop"), r.PathValue("token"))
	if errors.Is(err, shop.ErrNotFound) || errors.Is(err, lms.ErrNoUser) {
		s.flash(w, r, "error", l.T("signin.link_invalid"))
		http.Redirect(w, r, "/shop/"+r.PathValue("shop")+"/signin", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	return s.signedIn(w, r, u, localPath(r.URL.Query().Get("next")))
}
