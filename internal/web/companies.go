package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"courseshop/internal/shop"
)

// Companies (rule C9): the support area of a customer a user manages, its
// managers page, and the invitations to manage it.

// customerParam reads which customer the support area acts for, from the
// query or the posted form ("customer"); 0 when absent: the user's first.
// The service checks that the user owns or manages it; garbage is a 404.
func customerParam(r *http.Request) (int64, error) {
	v := r.FormValue("customer")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// customerPath is a support-area path of the request's shop, for the
// customer the request acted for, if it named one.
func customerPath(r *http.Request, page, fragment string) string {
	p := "/shop/" + r.PathValue("shop") + page
	if id, err := customerParam(r); err == nil && id != 0 {
		p += "?customer=" + strconv.FormatInt(id, 10)
	}
	if fragment != "" {
		p += "#" + fragment
	}
	return p
}

// accountPath is the support area the request acted for, at fragment.
func accountPath(r *http.Request, fragment string) string {
	return customerPath(r, "/account", fragment)
}

// managersData is the managers page: the customer's managers and pending
// invitations, and the invitation form as typed with its problem.
type managersData struct {
	*shop.CompanyView
	Email   string
	Problem string
}

// managersPage shows who manages a customer.
func (s *Server) managersPage(w http.ResponseWriter, r *http.Request) error {
	if s.buyer(r).UserRef == "" {
		http.Redirect(w, r, "/shop/"+r.PathValue("shop")+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	return s.renderManagers(w, r, http.StatusOK, managersData{})
}

func (s *Server) renderManagers(w http.ResponseWriter, r *http.Request, status int, d managersData) error {
	l := s.localizer(r)
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	if d.CompanyView, err = s.Shop.Managers(r.Context(), r.PathValue("shop"), s.buyer(r), id); err != nil {
		return err
	}
	p := s.shopPageData(r, l, d.Shop, d)
	p.Title = l.T("managers.title", "Name", d.Customer.DisplayName())
	p.Flashes = s.takeFlashes(w, r)
	w.Header().Set("Cache-Control", privatePage)
	return s.renderShop(w, r, status, "managers", p)
}

// inviteManager mails an invitation to manage the customer.
func (s *Server) inviteManager(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	email := r.PostFormValue("email")
	problems, err := s.Shop.InviteManager(r.Context(), r.PathValue("shop"), l.Lang(), s.buyer(r), id, email, clientIP(r))
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		status := http.StatusUnprocessableEntity
		if problems[0].Key == "managers.too_many" {
			status = http.StatusTooManyRequests
		}
		return s.renderManagers(w, r, status, managersData{Email: email, Problem: l.T(problems[0].Key)})
	}
	s.flash(w, r, "info", l.T("managers.invited", "Email", email))
	http.Redirect(w, r, customerPath(r, "/account/managers", ""), http.StatusSeeOther)
	return nil
}

// removeManager takes a manager's access away; a manager leaving goes
// back to their own support area.
func (s *Server) removeManager(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	left, err := s.Shop.RemoveManager(r.Context(), r.PathValue("shop"), s.buyer(r), id, r.PathValue("ref"), clientIP(r))
	if err != nil {
		return err
	}
	if left {
		s.flash(w, r, "info", l.T("managers.left"))
		http.Redirect(w, r, "/shop/"+r.PathValue("shop")+"/account", http.StatusSeeOther)
		return nil
	}
	s.flash(w, r, "info", l.T("managers.removed"))
	http.Redirect(w, r, customerPath(r, "/account/managers", ""), http.StatusSeeOther)
	return nil
}

// revokeInvitation withdraws a pending invitation.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	inv, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	revoked, err := s.Shop.RevokeInvitation(r.Context(), r.PathValue("shop"), s.buyer(r), id, inv, clientIP(r))
	if err != nil {
		return err
	}
	s.flash(w, r, "info", l.T("managers.revoked", "Email", revoked.Email))
	http.Redirect(w, r, customerPath(r, "/account/managers", ""), http.StatusSeeOther)
	return nil
}

// errInvitationInvalid is the page of an invitation that was used,
// withdrawn, or has expired (or never existed).
var errInvitationInvalid = &httpError{status: http.StatusNotFound, titleKey: "invitation.invalid_title", textKey: "invitation.invalid_text"}

// invitationPage shows an invitation: who invites to manage what, and how
// to accept it. Opening it changes nothing.
func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderInvitation(w, r, http.StatusOK)
}

func (s *Server) renderInvitation(w http.ResponseWriter, r *http.Request, status int) error {
	l := s.localizer(r)
	v, err := s.Shop.Invitation(r.Context(), r.PathValue("shop"), r.PathValue("token"), s.buyer(r))
	if errors.Is(err, shop.ErrNotFound) {
		return errInvitationInvalid
	}
	if err != nil {
		return err
	}
	p := s.shopPageData(r, l, v.Shop, v)
	p.Title = l.T("invitation.title")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	w.Header().Set("Cache-Control", privatePage)
	return s.renderShop(w, r, status, "invitation", p)
}

// acceptInvitation makes the signed-in user a manager of the invitation's
// customer; a visitor who is not signed in is sent to sign in first.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	b := s.buyer(r)
	if b.UserRef == "" {
		http.Redirect(w, r, "/shop/"+shopCode+"/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return nil
	}
	id, err := s.Shop.AcceptInvitation(r.Context(), shopCode, r.PathValue("token"), b, clientIP(r))
	switch {
	case errors.Is(err, shop.ErrWrongInvitee):
		return s.renderInvitation(w, r, http.StatusForbidden)
	case errors.Is(err, shop.ErrNotFound):
		return errInvitationInvalid
	case err != nil:
		return err
	}
	s.flash(w, r, "info", l.T("invitation.accepted"))
	http.Redirect(w, r, "/shop/"+shopCode+"/account?customer="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
