package web

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"courseshop/internal/customer"
	"courseshop/internal/i18n"
	"courseshop/internal/shop"
)

// checkoutView is a checkout page: the service's view plus what the buyer
// typed and the error of each field, keyed by form field name.
type checkoutView struct {
	*shop.CheckoutView
	Typed  map[string]string
	Errors map[string]string
	Known  bool // the contact e-mail has an account: propose sign-in (C4)
	Notice string
}

func (s *Server) checkoutURL(shopCode, step string) string {
	return "/shop/" + shopCode + "/checkout/" + step
}

// checkoutStart sends the buyer to the first step left to do.
func (s *Server) checkoutStart(w http.ResponseWriter, r *http.Request) error {
	shopCode := r.PathValue("shop")
	step, err := s.Shop.NextStep(r.Context(), shopCode, cartToken(r, shopCode))
	if errors.Is(err, shop.ErrEmptyCart) {
		s.flash(w, r, "error", s.localizer(r).T("checkout.empty"))
		http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, s.checkoutURL(shopCode, step), http.StatusSeeOther)
	return nil
}

// checkoutPage shows a step.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("step") == shop.StepReview {
		return s.reviewPage(w, r, http.StatusOK, checkoutView{Errors: map[string]string{}})
	}
	return s.renderCheckout(w, r, http.StatusOK, checkoutView{})
}

// renderCheckout renders the step of the request's path with v's typed
// values and errors. A step that cannot be shown yet sends the buyer to
// the one to do first.
func (s *Server) renderCheckout(w http.ResponseWriter, r *http.Request, status int, v checkoutView) error {
	l := s.localizer(r)
	shopCode, step := r.PathValue("shop"), r.PathValue("step")
	cv, err := s.Shop.Checkout(r.Context(), shopCode, cartToken(r, shopCode), l.Lang(), step, s.buyer(r))
	if redirected := s.checkoutRedirect(w, r, l, err); redirected {
		return nil
	}
	if err != nil {
		return err
	}
	v.CheckoutView = cv
	if v.Typed == nil {
		v.Typed = typedFrom(cv)
	}
	p := s.shopPageData(r, l, cv.Cart.Shop, v)
	p.Title = l.T("checkout.step." + step)
	p.Flashes = s.takeFlashes(w, r)
	sum := cv.Cart.Summary()
	return s.renderShopCart(w, r, status, "checkout_"+step, p, &sum)
}

// checkoutRedirect handles the errors that send the buyer elsewhere: an
// empty cart, a skipped step. It reports whether it answered.
func (s *Server) checkoutRedirect(w http.ResponseWriter, r *http.Request, l *i18n.Localizer, err error) bool {
	shopCode := r.PathValue("shop")
	var skipped *shop.StepError
	switch {
	case errors.Is(err, shop.ErrEmptyCart):
		s.flash(w, r, "error", l.T("checkout.empty"))
		http.Redirect(w, r, s.cartURL(shopCode), http.StatusSeeOther)
	case errors.As(err, &skipped):
		s.flash(w, r, "error", l.T("checkout.step_first"))
		http.Redirect(w, r, s.checkoutURL(shopCode, skipped.Step), http.StatusSeeOther)
	default:
		return false
	}
	return true
}

// typedFrom fills the form fields from what the checkout holds.
func typedFrom(cv *shop.CheckoutView) map[string]string {
	t := map[string]string{}
	for _, line := range cv.Lines {
		for u, answers := range line.Answers {
			for k, v := range answers {
				t[answerField(line.Code, u, k)] = v
			}
		}
		for i, p := range line.Participants {
			for k, v := range participantFields(p) {
				t[participantField(line.Code, i, k)] = v
			}
		}
	}
	maps.Copy(t, contactTyped(cv.Contact, cv.Inv))
	return t
}

func answerField(code string, unit int, name string) string {
	return "a|" + code + "|" + strconv.Itoa(unit) + "|" + name
}

func participantField(code string, seat int, name string) string {
	return "p|" + code + "|" + strconv.Itoa(seat) + "|" + name
}

func contactFields(c customer.Contact) map[string]string {
	return map[string]string{"email": c.Email, "first_name": c.FirstName, "last_name": c.LastName, "organisation": c.Organisation,
		"address": c.Address, "zip": c.Zip, "city": c.City, "country": c.Country, "phone": c.Phone}
}

func invoicingFields(i customer.Invoicing) map[string]string {
	return map[string]string{"inv_organisation": i.Organisation, "inv_department": i.Department, "inv_first_name": i.FirstName,
		"inv_last_name": i.LastName, "inv_email": i.Email, "inv_address": i.Address, "inv_zip": i.Zip, "inv_city": i.City,
		"inv_country": i.Country, "inv_vat_number": i.VATNumber}
}

func participantFields(p customer.Participant) map[string]string {
	return map[string]string{"first_name": p.FirstName, "last_name": p.LastName, "email": p.Email, "city": p.City, "institution": p.Institution, "phone": p.Phone}
}

// formValues returns the posted form as a plain map of first values.
func formValues(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, vs := range r.PostForm {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

// checkoutSubmit records a step and moves on, or shows the step again
// with every problem next to what was typed.
func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	if err := r.ParseForm(); err != nil {
		return err
	}
	shopCode, step := r.PathValue("shop"), r.PathValue("step")
	token := cartToken(r, shopCode)
	typed := formValues(r)
	rev, convErr := strconv.Atoi(typed["rev"])
	if convErr != nil {
		rev = -1
	}
	errs := map[string]string{}
	v := checkoutView{Typed: typed, Errors: errs}
	var err error
	switch step {
	case shop.StepRequirements:
		in := shop.RequirementsInput{}
		for k, val := range typed {
			code, unit, name, ok := splitIndexed(k, "a")
			if !ok {
				continue
			}
			for len(in[code]) <= unit {
				in[code] = append(in[code], map[string]string{})
			}
			in[code][unit][name] = val
		}
		var problems []shop.FieldProblem
		problems, err = s.Shop.SubmitRequirements(r.Context(), shopCode, token, rev, in)
		for _, p := range problems {
			errs[answerField(p.Code, p.Unit, p.Field)] = l.T(p.Key)
		}
	case shop.StepParticipants:
		in := map[string][]customer.Participant{}
		for k, val := range typed {
			code, seat, name, ok := splitIndexed(k, "p")
			if !ok {
				continue
			}
			for len(in[code]) <= seat {
				in[code] = append(in[code], customer.Participant{})
			}
			setParticipant(&in[code][seat], name, val)
		}
		var problems []shop.ParticipantProblem
		problems, err = s.Shop.SubmitParticipants(r.Context(), shopCode, token, rev, in)
		for _, p := range problems {
			errs[participantField(p.Code, p.Seat, p.Field)] = l.T(p.Key)
		}
	case shop.StepCustomer:
		contact, inv := contactFromForm(typed)
		var outcome shop.CustomerOutcome
		var problems []customer.Problem
		outcome, problems, err = s.Shop.SubmitCustomer(r.Context(), shopCode, token, rev, s.buyer(r), l.Lang(), contact, inv, typed["as_guest"] != "")
		for _, p := range problems {
			errs[p.Field] = l.T(p.Key)
		}
		if err == nil && outcome == shop.CustomerKnown {
			v.Known = true
			return s.renderCheckout(w, r, http.StatusConflict, v)
		}
	case shop.StepReview:
		return s.placeOrder(w, r, v)
	default:
		return errNotFound
	}
	switch {
	case errors.Is(err, shop.ErrStale):
		v.Typed, v.Notice = nil, l.T("checkout.stale")
		return s.renderCheckout(w, r, http.StatusConflict, v)
	case s.checkoutRedirect(w, r, l, err):
		return nil
	case err != nil:
		return err
	case len(errs) > 0:
		return s.renderCheckout(w, r, http.StatusUnprocessableEntity, v)
	}
	next, err := s.Shop.NextStep(r.Context(), shopCode, token)
	if err != nil {
		return err
	}
	http.Redirect(w, r, s.checkoutURL(shopCode, next), http.StatusSeeOther)
	return nil
}

// contactFromForm reads the contact fieldsets (the "contact_fields"
// template): the contact details, and the distinct invoicing identity
// when its box is ticked.
func contactFromForm(typed map[string]string) (customer.Contact, *customer.Invoicing) {
	contact := customer.Contact{Email: typed["email"], FirstName: typed["first_name"], LastName: typed["last_name"],
		Organisation: typed["organisation"], Address: typed["address"], Zip: typed["zip"], City: typed["city"],
		Country: typed["country"], Phone: typed["phone"]}
	var inv *customer.Invoicing
	if typed["invoicing"] != "" {
		inv = &customer.Invoicing{Organisation: typed["inv_organisation"], Department: typed["inv_department"],
			FirstName: typed["inv_first_name"], LastName: typed["inv_last_name"], Email: typed["inv_email"],
			Address: typed["inv_address"], Zip: typed["inv_zip"], City: typed["inv_city"], Country: typed["inv_country"],
			VATNumber: typed["inv_vat_number"]}
	}
	return contact, inv
}

// contactTyped is the reverse of contactFromForm: the form's values for
// saved details.
func contactTyped(c customer.Contact, inv *customer.Invoicing) map[string]string {
	t := contactFields(c)
	if inv != nil {
		t["invoicing"] = "1"
		maps.Copy(t, invoicingFields(*inv))
	}
	return t
}

// splitIndexed reads a field name "prefix|CODE|N|name".
func splitIndexed(key, prefix string) (code string, n int, name string, ok bool) {
	parts := strings.Split(key, "|")
	if len(parts) != 4 || parts[0] != prefix {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 0 || n > 10000 {
		return "", 0, "", false
	}
	return parts[1], n, parts[3], true
}

func setParticipant(p *customer.Participant, name, v string) {
	switch name {
	case "first_name":
		p.FirstName = v
	case "last_name":
		p.LastName = v
	case "email":
		p.Email = v
	case "city":
		p.City = v
	case "institution":
		p.Institution = v
	case "phone":
		p.Phone = v
	}
}
