package shop

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// Checkout steps, in their default order. A shop may reorder or drop the
// optional ones; a step with nothing to ask is skipped.
const (
	StepRequirements = "requirements"
	StepParticipants = "participants"
	StepCustomer     = "customer"
	StepReview       = "review"
)

// defaultSteps is the checkout of a shop that names none.
var defaultSteps = []string{StepRequirements, StepParticipants, StepCustomer, StepReview}

// checkout is the progress of a cart through the checkout, kept in the
// cart's state so that it survives restarts and works on every node.
type checkout struct {
	// Rev changes whenever the cart or the checkout changes. Forms carry
	// it; a form posted with an older Rev (a replayed or stale page) is
	// refused.
	Rev          int                               `json:"rev,omitempty"`
	Answers      map[string][]map[string]string    `json:"answers,omitempty"`      // product code → per unit
	Participants map[string][]customer.Participant `json:"participants,omitempty"` // product code → per seat
	Contact      *customer.Contact                 `json:"contact,omitempty"`
	Invoicing    *customer.Invoicing               `json:"invoicing,omitempty"`
	CustomerID   int64                             `json:"customer_id,omitempty"`
	// AsGuest: the contact e-mail belongs to an account and the visitor
	// chose to go on without signing in (rule C4): nothing stored about
	// that account changes, the order keeps what was typed.
	AsGuest bool     `json:"as_guest,omitempty"`
	Done    []string `json:"done,omitempty"` // steps completed at Rev
}

// ErrStale is returned when a checkout form belongs to an older state of
// the cart (the page was replayed, or the cart changed meanwhile).
var ErrStale = errors.New("checkout: this page is out of date")

// ErrEmptyCart is returned when checking out an empty cart.
var ErrEmptyCart = errors.New("checkout: the cart is empty")

// ErrStepSkipped is matched by a *StepError: a step was asked for before
// the steps it depends on were complete.
var ErrStepSkipped = errors.New("checkout: a previous step is not complete")

// StepError names the step the buyer must complete first.
type StepError struct{ Step string }

func (e *StepError) Error() string { return ErrStepSkipped.Error() + ": " + e.Step }

// Is makes errors.Is(err, ErrStepSkipped) hold.
func (e *StepError) Is(target error) bool { return target == ErrStepSkipped }

// Buyer is who checks out: a guest, or a signed-in LMS user.
type Buyer struct {
	UserRef string // empty for a guest
	Admin   bool
}

// Visitor returns the buyer as the sales rules see them.
func (b Buyer) visitor(customerBound bool) catalog.Visitor {
	return catalog.Visitor{SignedIn: b.UserRef != "", Customer: customerBound}
}

// Steps returns the steps a cart goes through, in order: the shop's list
// (or the default one) without the steps that have nothing to ask.
func (s *Service) steps(c *catalogue, items []store.CartItem) []string {
	list := c.shop.CheckoutSteps
	if len(list) == 0 {
		list = defaultSteps
	}
	var out []string
	for _, st := range list {
		switch st {
		case StepRequirements:
			if !c.anyProduct(items, func(p *catalog.Product) bool { return len(p.RequiredFields) > 0 }) {
				continue
			}
		case StepParticipants:
			if !c.anyProduct(items, func(p *catalog.Product) bool { return p.SeatMode != catalog.SeatNone }) {
				continue
			}
		}
		out = append(out, st)
	}
	// The customer and review steps cannot be configured away: there is
	// no order without a buyer and an accepted review.
	for _, must := range []string{StepCustomer, StepReview} {
		if !slices.Contains(out, must) {
			out = append(out, must)
		}
	}
	return out
}

func (c *catalogue) anyProduct(items []store.CartItem, f func(*catalog.Product) bool) bool {
	for _, it := range items {
		if p := c.byID[it.ProductID]; p != nil && f(p) {
			return true
		}
	}
	return false
}

// seats returns how many learners a cart line of p for qty units needs.
func seats(p *catalog.Product, qty int) int {
	switch p.SeatMode {
	case catalog.SeatOne:
		return 1
	case catalog.SeatPerUnit:
		return qty
	}
	return 0
}

// FieldProblem is a problem with one answer of the requirements step:
// which product, which unit (from 0), which field, and the i18n key.
type FieldProblem struct {
	Code  string
	Unit  int
	Field string
	Key   string
}

// validateAnswers checks one unit's answers against a product's fields and
// returns the cleaned answers.
func validateAnswers(code string, unit int, fields []catalog.Field, in map[string]string) (map[string]string, []FieldProblem) {
	out := map[string]string{}
	var ps []FieldProblem
	bad := func(f, key string) { ps = append(ps, FieldProblem{Code: code, Unit: unit, Field: f, Key: key}) }
	for _, f := range fields {
		v := strings.TrimSpace(in[f.Name])
		switch f.Type {
		case catalog.FieldCheckbox:
			if v != "" {
				v = "yes"
			}
		case catalog.FieldSelect:
			if v != "" && !slices.ContainsFunc(f.Options, func(o catalog.FieldOption) bool { return o.Value == v }) {
				bad(f.Name, "form.choice_invalid")
				continue
			}
		}
		if v == "" {
			if f.Required {
				bad(f.Name, "form.required")
			}
			continue
		}
		n := utf8.RuneCountInString(v)
		switch {
		case f.MinLength > 0 && n < f.MinLength:
			bad(f.Name, "form.too_short")
			continue
		case f.MaxLength > 0 && n > f.MaxLength, n > 2000:
			bad(f.Name, "form.too_long")
			continue
		}
		if f.Pattern != "" && f.Type == catalog.FieldText {
			re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`)
			if err != nil || !re.MatchString(v) {
				bad(f.Name, "form.pattern")
				continue
			}
		}
		out[f.Name] = v
	}
	return out, ps
}

// CheckoutView is what a checkout page shows.
type CheckoutView struct {
	Cart     *CartView
	Steps    []string
	Step     string
	Rev      int
	Lines    []CheckoutLine // lines needing requirements or participants
	Contact  customer.Contact
	Inv      *customer.Invoicing
	AsGuest  bool
	Customer *customer.Customer // of a signed-in buyer
}

// CheckoutLine is a cart line with what the checkout asks about it.
type CheckoutLine struct {
	Code         string
	Name         string
	Units        int
	Fields       []catalog.Field
	Answers      []map[string]string
	Seats        int
	Participants []customer.Participant
}

// Checkout returns the checkout of the cart of token at step, with what
// was entered so far. A step that is not part of this cart's checkout, or
// whose previous steps are not complete, gives ErrStepSkipped with the
// step to go to.
func (s *Service) Checkout(ctx context.Context, shopCode, token, lang, step string, b Buyer) (*CheckoutView, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	cart, cs, err := s.findCart(ctx, s.Store, c.shop.ID, token)
	if err != nil {
		return nil, err
	}
	if cart == nil || len(cart.Items) == 0 {
		return nil, ErrEmptyCart
	}
	bound, err := s.boundCustomer(ctx, c.shop.ID, b)
	if err != nil {
		return nil, err
	}
	cv, err := s.cartView(ctx, c, cart, cs, lang, b.visitor(bound != nil))
	if err != nil {
		return nil, err
	}
	steps := s.steps(c, cart.Items)
	v := &CheckoutView{Cart: cv, Steps: steps, Step: step, Rev: cs.Checkout.Rev, AsGuest: cs.Checkout.AsGuest, Customer: bound}
	if err := reachable(steps, step, cs.Checkout.Done); err != nil {
		return v, err
	}
	for _, it := range cart.Items {
		p := c.byID[it.ProductID]
		if p == nil {
			continue
		}
		line := CheckoutLine{Code: p.Code, Name: p.Texts.In(lang, c.shop.DefaultLocale).Name, Units: it.Quantity,
			Fields: p.RequiredFields, Seats: seats(p, it.Quantity)}
		line.Answers = padAnswers(cs.Checkout.Answers[p.Code], it.Quantity)
		line.Participants = padParticipants(cs.Checkout.Participants[p.Code], line.Seats)
		v.Lines = append(v.Lines, line)
	}
	switch {
	case cs.Checkout.Contact != nil:
		v.Contact, v.Inv = *cs.Checkout.Contact, cs.Checkout.Invoicing
	case bound != nil:
		v.Contact, v.Inv = bound.Contact, bound.Invoicing // C5: prefill from the account
	case b.UserRef != "":
		if u, err := s.account(ctx, c.shop, b.UserRef); err == nil {
			v.Contact = customer.Contact{Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, City: u.City,
				Country: u.Country, Organisation: u.Institution, Phone: u.Phone} // C5 without a customer yet: the profile
		} else if !errors.Is(err, lms.ErrNoUser) {
			return nil, err
		}
	}
	return v, nil
}

// boundCustomer returns the shop's customer of a signed-in buyer, if any.
func (s *Service) boundCustomer(ctx context.Context, shopID int64, b Buyer) (*customer.Customer, error) {
	if b.UserRef == "" {
		return nil, nil
	}
	c, err := s.Store.CustomerByUser(ctx, shopID, b.UserRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// reachable checks that every step before step is done.
func reachable(steps []string, step string, done []string) error {
	i := slices.Index(steps, step)
	if i < 0 {
		return &StepError{Step: firstOpen(steps, done)}
	}
	for _, before := range steps[:i] {
		if !slices.Contains(done, before) {
			return &StepError{Step: before}
		}
	}
	return nil
}

// firstOpen returns the first step not done.
func firstOpen(steps, done []string) string {
	for _, st := range steps {
		if !slices.Contains(done, st) {
			return st
		}
	}
	return steps[len(steps)-1]
}

// NextStep returns the step a buyer should see now for the cart of token.
func (s *Service) NextStep(ctx context.Context, shopCode, token string) (string, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return "", err
	}
	cart, cs, err := s.findCart(ctx, s.Store, c.shop.ID, token)
	if err != nil {
		return "", err
	}
	if cart == nil || len(cart.Items) == 0 {
		return "", ErrEmptyCart
	}
	return firstOpen(s.steps(c, cart.Items), cs.Checkout.Done), nil
}

func padAnswers(a []map[string]string, n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		if i < len(a) && a[i] != nil {
			out[i] = a[i]
		} else {
			out[i] = map[string]string{}
		}
	}
	return out
}

func padParticipants(ps []customer.Participant, n int) []customer.Participant {
	out := make([]customer.Participant, n)
	copy(out, ps)
	return out
}

// checkoutOp runs fn on the checkout of a non-empty cart, refusing a form
// posted at another revision, and records the step as done when fn
// succeeds. Any later step is undone: what it validated may have changed.
func (s *Service) checkoutOp(ctx context.Context, shopCode, token, step string, rev int, fn func(tx *store.Store, c *catalogue, cart *store.Cart, co *checkout) error) error {
	_, err := s.cartOp(ctx, shopCode, token, false, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		if cart == nil || len(cart.Items) == 0 {
			return ErrEmptyCart
		}
		co := &cs.Checkout
		if rev != co.Rev {
			return ErrStale
		}
		steps := s.steps(c, cart.Items)
		if err := reachable(steps, step, co.Done); err != nil {
			return err
		}
		if err := fn(tx, c, cart, co); err != nil {
			return err
		}
		i := slices.Index(steps, step)
		co.Done = append(slices.Clone(steps[:i]), step)
		co.Rev++
		return nil
	})
	if errors.Is(err, errNoCart) {
		return ErrEmptyCart
	}
	return err
}

// RequirementsInput is the requirements form: answers[code][unit][field].
type RequirementsInput map[string][]map[string]string

// SubmitRequirements validates and stores the answers of every unit of
// every product that asks for data. Problems leave the stored answers as
// they were and are all returned.
func (s *Service) SubmitRequirements(ctx context.Context, shopCode, token string, rev int, in RequirementsInput) ([]FieldProblem, error) {
	var problems []FieldProblem
	err := s.checkoutOp(ctx, shopCode, token, StepRequirements, rev, func(_ *store.Store, c *catalogue, cart *store.Cart, co *checkout) error {
		answers := map[string][]map[string]string{}
		for _, it := range cart.Items {
			p := c.byID[it.ProductID]
			if p == nil || len(p.RequiredFields) == 0 {
				continue
			}
			units := padAnswers(in[p.Code], it.Quantity)
			for u := range it.Quantity {
				clean, ps := validateAnswers(p.Code, u, p.RequiredFields, units[u])
				problems = append(problems, ps...)
				problems = append(problems, s.handlerProblems(p, u, clean, ps)...)
				answers[p.Code] = append(answers[p.Code], clean)
			}
		}
		if len(problems) > 0 {
			return errInvalid
		}
		co.Answers = answers
		return nil
	})
	if errors.Is(err, errInvalid) {
		return problems, nil
	}
	return nil, err
}

// handlerProblems applies the checks p's handler makes of one unit's
// answers (an extension's reference…) to the fields p asks that the
// form's own rules found no problem with.
func (s *Service) handlerProblems(p *catalog.Product, unit int, answers map[string]string, found []FieldProblem) []FieldProblem {
	var out []FieldProblem
	for _, hp := range s.Production.Handlers().CheckAnswers(p.Handler, p.HandlerParams, answers) {
		asked := slices.ContainsFunc(p.RequiredFields, func(f catalog.Field) bool { return f.Name == hp.Field })
		if asked && !slices.ContainsFunc(found, func(f FieldProblem) bool { return f.Field == hp.Field }) {
			out = append(out, FieldProblem{Code: p.Code, Unit: unit, Field: hp.Field, Key: hp.Key})
		}
	}
	return out
}

// errInvalid rolls back a checkout step whose form has problems.
var errInvalid = errors.New("checkout: invalid form")

// ParticipantProblem is a problem with one learner of the participants
// step.
type ParticipantProblem struct {
	Code  string
	Seat  int
	Field string
	Key   string
}

// SubmitParticipants validates and stores the learners of every seat.
func (s *Service) SubmitParticipants(ctx context.Context, shopCode, token string, rev int, in map[string][]customer.Participant) ([]ParticipantProblem, error) {
	var problems []ParticipantProblem
	err := s.checkoutOp(ctx, shopCode, token, StepParticipants, rev, func(_ *store.Store, c *catalogue, cart *store.Cart, co *checkout) error {
		out := map[string][]customer.Participant{}
		for _, it := range cart.Items {
			p := c.byID[it.ProductID]
			if p == nil {
				continue
			}
			n := seats(p, it.Quantity)
			ps := padParticipants(in[p.Code], n)
			seen := map[string]bool{}
			for i := range n {
				ps[i].Normalize()
				for _, pr := range ps[i].Validate() {
					problems = append(problems, ParticipantProblem{Code: p.Code, Seat: i, Field: pr.Field, Key: pr.Key})
				}
				if email := strings.ToLower(ps[i].Email); email != "" && seen[email] {
					problems = append(problems, ParticipantProblem{Code: p.Code, Seat: i, Field: "email", Key: "form.participant_twice"})
				} else {
					seen[email] = true
				}
			}
			if n > 0 {
				out[p.Code] = ps
			}
		}
		if len(problems) > 0 {
			return errInvalid
		}
		co.Participants = out
		return nil
	})
	if errors.Is(err, errInvalid) {
		return problems, nil
	}
	return nil, err
}

// CustomerOutcome says what the customer step did.
type CustomerOutcome int

// Outcomes of the customer step.
const (
	CustomerSaved CustomerOutcome = iota // created or updated (C1, C2, C6)
	// CustomerKnown: the e-mail belongs to an account; the visitor is
	// offered to sign in (C4) and nothing was stored on that account.
	CustomerKnown
)

// SubmitCustomer records the customer step. For a guest, the shop's
// customer with that e-mail is created or updated (lead capture), unless
// the e-mail belongs to an LMS account or to a customer bound to one: then
// nothing is stored on it, CustomerKnown is returned so the page can
// propose to sign in, and a second submission with asGuest goes on with
// what was typed kept for the order alone. For a signed-in buyer, their
// customer is updated (or created and bound).
func (s *Service) SubmitCustomer(ctx context.Context, shopCode, token string, rev int, b Buyer, lang string,
	contact customer.Contact, inv *customer.Invoicing, asGuest bool) (CustomerOutcome, []customer.Problem, error) {
	problems := checkContact(&contact, inv)
	if len(problems) > 0 {
		return CustomerSaved, problems, nil
	}
	// The LMS is asked before the transaction opens: a connector call
	// (network, or another pool connection for the built-in LMS) must never
	// run while a database connection is held for the transaction.
	var lmsUsers []*lms.User
	if b.UserRef == "" {
		c, err := s.catalogue(ctx, shopCode)
		if err != nil {
			return CustomerSaved, nil, err
		}
		conn, err := s.lmsOf(c.shop)
		if err != nil {
			return CustomerSaved, nil, err
		}
		if lmsUsers, err = conn.UsersByEmail(ctx, contact.Email); err != nil {
			return CustomerSaved, nil, err
		}
	}
	outcome := CustomerSaved
	err := s.checkoutOp(ctx, shopCode, token, StepCustomer, rev, func(tx *store.Store, c *catalogue, _ *store.Cart, co *checkout) error {
		co.Contact, co.Invoicing, co.AsGuest, co.CustomerID = &contact, inv, false, 0
		cust := &customer.Customer{ShopID: c.shop.ID, Contact: contact, Locale: lang, Invoicing: inv}
		if b.UserRef != "" {
			// The language of the mails is the customer's choice (their
			// profile), not the page's.
			switch own, err := tx.CustomerByUser(ctx, c.shop.ID, b.UserRef); {
			case err == nil:
				cust.Locale = own.Locale
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			err := tx.SaveOwnCustomer(ctx, cust, b.UserRef)
			if errors.Is(err, store.ErrConflict) {
				problems = append(problems, customer.Problem{Field: "email", Key: "form.email_taken"})
				return errInvalid
			}
			co.CustomerID = cust.ID
			return err
		}
		known, err := boundEmail(ctx, tx, c.shop.ID, contact.Email)
		if err != nil {
			return err
		}
		known = known || len(lmsUsers) > 0
		if known {
			if !asGuest {
				outcome = CustomerKnown
				return errKnown
			}
			co.AsGuest = true
			return nil
		}
		if _, err := tx.SaveLead(ctx, cust); err != nil {
			return err
		}
		co.CustomerID = cust.ID
		return nil
	})
	switch {
	case errors.Is(err, errInvalid):
		return outcome, problems, nil
	case errors.Is(err, errKnown):
		return CustomerKnown, nil, nil
	}
	return outcome, nil, err
}

// errKnown rolls back a guest's customer step for an e-mail with an
// account, until they choose to go on as a guest.
var errKnown = errors.New("checkout: e-mail has an account")

// boundEmail reports whether an e-mail belongs to a customer bound to a
// user account.
func boundEmail(ctx context.Context, tx *store.Store, shopID int64, email string) (bool, error) {
	c, err := tx.CustomerByEmail(ctx, shopID, email)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && c.Bound(), err
}
