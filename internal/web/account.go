package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/production"
	"courseshop/internal/shop"
)

// privatePage is the Cache-Control of pages holding a customer's personal
// data: no cache, shared or the browser's, keeps them.
const privatePage = "private, no-store"

// accountData is the support area page: the customer's view (nil when the
// signed-in user has no customer account in this shop yet), and the form
// that failed, with what was typed and why.
type accountData struct {
	*shop.AccountView
	Form     seatForm
	Support  supportForm
	Erase    eraseForm
	ShopCode string
}

// seatForm is a seat assignment as typed.
type seatForm struct {
	Ref      string
	Learner  customer.Participant
	Course   string
	Problems map[string]string // field → localised message
}

// supportForm is a message to the sales team as typed.
type supportForm struct {
	About, Body string
	Problems    map[string]string // field → localised message
}

// accountPage shows the signed-in customer's support area.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, accountData{})
}

// renderAccount shows the support area with d's forms (what was typed in
// the one that failed, if any).
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d accountData) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	b := s.buyer(r)
	if b.UserRef == "" {
		http.Redirect(w, r, "/shop/"+shopCode+"/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return nil
	}
	d.ShopCode = shopCode
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	v, err := s.Shop.SupportArea(r.Context(), shopCode, l.Lang(), b, id)
	if err != nil && !errors.Is(err, shop.ErrNoCustomer) {
		return err
	}
	d.AccountView = v
	var sh *catalog.Shop
	if v != nil {
		sh = v.Shop
	} else {
		home, err := s.Shop.ShopHome(r.Context(), shopCode, l.Lang(), s.visitor(r), 1)
		if err != nil {
			return err
		}
		sh = home.Shop
	}
	p := s.shopPageData(r, l, sh, d)
	p.Title = l.T("account.title")
	p.Flashes = s.takeFlashes(w, r)
	w.Header().Set("Referrer-Policy", "no-referrer") // the order links are signed
	w.Header().Set("Cache-Control", privatePage)
	return s.renderShop(w, r, status, "account", p)
}

// assignSeat gives a free seat of the customer to a learner.
func (s *Server) assignSeat(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	f := seatForm{Ref: r.PathValue("ref"), Course: r.PostFormValue("course"), Learner: customer.Participant{
		FirstName: r.PostFormValue("first_name"), LastName: r.PostFormValue("last_name"), Email: r.PostFormValue("email")}}
	f.Learner.Normalize()
	if probs := f.Learner.Validate(); len(probs) > 0 {
		f.Problems = map[string]string{}
		for _, p := range probs {
			f.Problems[p.Field] = l.T(p.Key)
		}
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Form: f})
	}
	err := s.Shop.AssignSeat(r.Context(), r.PathValue("shop"), f.Ref, s.buyer(r), f.Learner, f.Course)
	switch {
	case errors.Is(err, production.ErrCourseNotAllowed):
		f.Problems = map[string]string{"course": l.T("seats.course_not_allowed")}
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Form: f})
	case errors.Is(err, production.ErrSeatAssigned):
		s.flash(w, r, "error", l.T("seats.already_assigned"))
	case err != nil:
		return err
	default:
		s.flash(w, r, "info", l.T("seats.assigned", "Email", f.Learner.Email))
	}
	http.Redirect(w, r, accountPath(r, "seats"), http.StatusSeeOther)
	return nil
}

// releaseSeat frees a seat whose learner has not started.
func (s *Server) releaseSeat(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	err := s.Shop.ReleaseSeat(r.Context(), r.PathValue("shop"), r.PathValue("ref"), s.buyer(r))
	switch {
	case errors.Is(err, production.ErrSeatStarted):
		s.flash(w, r, "error", l.T("seats.locked"))
	case errors.Is(err, production.ErrSeatFree):
		s.flash(w, r, "error", l.T("seats.already_free"))
	case err != nil:
		return err
	default:
		s.flash(w, r, "info", l.T("seats.released"))
	}
	http.Redirect(w, r, accountPath(r, "seats"), http.StatusSeeOther)
	return nil
}

// cancelOrder cancels an unpaid order of the customer.
func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	number := r.PathValue("number")
	err := s.Shop.CancelOrder(r.Context(), r.PathValue("shop"), number, s.buyer(r))
	switch {
	case errors.Is(err, shop.ErrNotCancellable):
		s.flash(w, r, "error", l.T("account.not_cancellable", "Number", number))
	case err != nil:
		return err
	default:
		s.flash(w, r, "info", l.T("account.cancelled", "Number", number))
	}
	http.Redirect(w, r, accountPath(r, "orders"), http.StatusSeeOther)
	return nil
}

// personalData sends the customer's personal data archive as a JSON
// download.
func (s *Server) personalData(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	d, err := s.Shop.PersonalData(r.Context(), r.PathValue("shop"), l.Lang(), s.buyer(r), clientIP(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="personal-data-`+d.Shop+"-"+d.ExportedAt.Format("2006-01-02")+`.json"`)
	w.Header().Set("Cache-Control", privatePage)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// profileView is the profile form: what is typed (or saved), the
// localised problems by field, and the languages the customer may choose
// for the shop's mails.
type profileView struct {
	Typed   map[string]string
	Errors  map[string]string
	Locales []string
}

// profilePage shows the customer's details for editing.
func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) error {
	shopCode := r.PathValue("shop")
	if s.buyer(r).UserRef == "" {
		http.Redirect(w, r, "/shop/"+shopCode+"/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return nil
	}
	sh, cust, err := s.Shop.MyProfile(r.Context(), shopCode, s.buyer(r))
	if err != nil {
		return err
	}
	typed := contactTyped(cust.Contact, cust.Invoicing)
	typed["locale"] = cust.Locale
	return s.renderProfile(w, r, http.StatusOK, sh, profileView{Typed: typed})
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, sh *catalog.Shop, v profileView) error {
	l := s.localizer(r)
	v.Locales = catalog.Locales()
	p := s.shopPageData(r, l, sh, v)
	p.Title = l.T("profile.title")
	p.Flashes = s.takeFlashes(w, r)
	w.Header().Set("Cache-Control", privatePage)
	return s.renderShop(w, r, status, "profile", p)
}

// saveProfile records the customer's edited details; on a problem the
// form comes back with everything typed.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	if err := r.ParseForm(); err != nil {
		return err
	}
	typed := map[string]string{}
	for k := range r.PostForm {
		typed[k] = r.PostForm.Get(k)
	}
	contact, inv := contactFromForm(typed)
	problems, err := s.Shop.SaveProfile(r.Context(), shopCode, s.buyer(r), contact, inv, typed["locale"])
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		v := profileView{Typed: typed, Errors: map[string]string{}}
		for _, p := range problems {
			v.Errors[p.Field] = l.T(p.Key)
		}
		sh, _, err := s.Shop.MyProfile(r.Context(), shopCode, s.buyer(r))
		if err != nil {
			return err
		}
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	s.flash(w, r, "info", l.T("profile.saved"))
	http.Redirect(w, r, "/shop/"+shopCode+"/account", http.StatusSeeOther)
	return nil
}

// sendSupportMessage sends the customer's message to the sales team.
func (s *Server) sendSupportMessage(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	f := supportForm{About: r.PostFormValue("about"), Body: r.PostFormValue("body")}
	id, err := customerParam(r)
	if err != nil {
		return err
	}
	problems, err := s.Shop.SendSupportMessage(r.Context(), r.PathValue("shop"), s.buyer(r), id, f.About, f.Body)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		f.Problems = map[string]string{}
		for _, p := range problems {
			f.Problems[p.Field] = l.T(p.Key)
		}
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Support: f})
	}
	s.flash(w, r, "info", l.T("support.sent"))
	http.Redirect(w, r, accountPath(r, "support"), http.StatusSeeOther)
	return nil
}
