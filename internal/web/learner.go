package web

import (
	"errors"
	"net/http"
	"strconv"

	"courseshop/internal/lms/local"
	"courseshop/internal/shop"
	"courseshop/internal/web/view"
)

// passwordView is the page where a new account's owner sets a password.
type passwordView struct {
	Name  string
	Error string
	Done  bool
}

// passwordPage shows the password form of a link from the built-in LMS.
func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPassword(w, r, http.StatusOK, passwordView{})
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, status int, v passwordView) error {
	l := s.localizer(r)
	if !v.Done {
		u, err := s.Shop.PasswordLinkUser(r.Context(), r.PathValue("token"))
		switch {
		case errors.Is(err, local.ErrBadToken):
			v.Error, status = l.T("password.link_invalid"), http.StatusNotFound
		case errors.Is(err, shop.ErrNotBuiltin):
			return errNotFound
		case err != nil:
			return err
		default:
			v.Name = u.FirstName + " " + u.LastName
		}
	}
	p := &view.Page{L: l, Path: r.URL.Path, RequestID: infoOf(r.Context()).id, Data: v, Title: l.T("password.title")}
	w.Header().Set("Referrer-Policy", "no-referrer") // the link must not leak
	return s.Views.Render(w, status, "password", p)
}

// setPassword sets the password of a new account through its link.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		return s.renderPassword(w, r, http.StatusUnprocessableEntity, passwordView{Error: l.T("password.mismatch")})
	}
	err := s.Shop.SetPassword(r.Context(), r.PathValue("token"), pw)
	switch {
	case errors.Is(err, local.ErrWeakPassword):
		return s.renderPassword(w, r, http.StatusUnprocessableEntity, passwordView{Error: l.T("password.weak", "Min", local.MinPasswordLength)})
	case errors.Is(err, local.ErrBadToken):
		return s.renderPassword(w, r, http.StatusNotFound, passwordView{})
	case err != nil:
		return err
	}
	return s.renderPassword(w, r, http.StatusOK, passwordView{Done: true})
}

// builtinCourse is a course's page in the built-in LMS: where the support
// area's link to the support course leads (rule C7).
func (s *Server) builtinCourse(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	co, err := s.Shop.BuiltinCourse(r.Context(), id)
	if err != nil {
		return err
	}
	p := &view.Page{L: l, Path: r.URL.Path, RequestID: infoOf(r.Context()).id, Data: co, Title: co.Fullname}
	return s.Views.Render(w, http.StatusOK, "lms_course", p)
}

// myCourses lists the signed-in buyer's courses in the built-in LMS.
func (s *Server) myCourses(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	b := s.buyer(r)
	if b.UserRef == "" {
		http.Redirect(w, r, "/shop/"+shopCode+"/signin?next="+r.URL.Path, http.StatusSeeOther)
		return nil
	}
	courses, err := s.Shop.MyCourses(r.Context(), b)
	if errors.Is(err, shop.ErrNotBuiltin) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	home, err := s.Shop.ShopHome(r.Context(), shopCode, l.Lang(), s.visitor(r), 1)
	if err != nil {
		return err
	}
	p := s.shopPageData(r, l, home.Shop, courses)
	p.Title = l.T("courses.title")
	p.Flashes = s.takeFlashes(w, r)
	return s.renderShop(w, r, http.StatusOK, "courses", p)
}
