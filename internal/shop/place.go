package shop

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/mail"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/pricing"
	"courseshop/internal/store"
)

// Terms is one block of terms the buyer accepts at the review step.
type Terms struct {
	Title string
	Text  string
}

// ReviewView is the review step: the checkout, the terms to accept and the
// payment modes this buyer may choose for this total.
type ReviewView struct {
	*CheckoutView
	Terms []Terms
	Modes []string
}

// Review returns the review step of the cart of token.
func (s *Service) Review(ctx context.Context, shopCode, token, lang string, b Buyer) (*ReviewView, error) {
	cv, err := s.Checkout(ctx, shopCode, token, lang, StepReview, b)
	if err != nil {
		return &ReviewView{CheckoutView: cv}, err
	}
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	rv := &ReviewView{CheckoutView: cv, Terms: c.terms(cv.Cart, lang)}
	for _, m := range s.Payments.Offered(payment.ModeContext{Shop: c.shop, SignedIn: b.UserRef != "", Admin: b.Admin, Total: cv.Cart.Totals.Taxed}) {
		rv.Modes = append(rv.Modes, m.Name())
	}
	return rv, nil
}

// terms returns the shop's terms and those of the products in the cart.
func (c *catalogue) terms(cart *CartView, lang string) []Terms {
	var out []Terms
	if c.shop.Terms != "" {
		out = append(out, Terms{Title: c.shop.Name, Text: c.shop.Terms})
	}
	for _, l := range cart.Lines {
		if p := c.byCode[l.Code]; p != nil {
			if t := p.Texts.In(lang, c.shop.DefaultLocale); t.Terms != "" {
				out = append(out, Terms{Title: t.Name, Text: t.Terms})
			}
		}
	}
	return out
}

// PlaceForm is what the review step posts.
type PlaceForm struct {
	Rev           int
	TermsAccepted bool
	Mode          string
	PaymentInput  map[string]string
}

// Problems of the review step, by form field.
var (
	ErrTermsNotAccepted = errors.New("checkout: the terms were not accepted")
	ErrLineRefused      = errors.New("checkout: a line of the cart cannot be sold")
)

// Placed is a placed order with what the buyer's pages need.
type Placed struct {
	Order *order.Order // carries the plain access token
	URL   string       // the order page, signed
}

// PlaceOrder places the order of the cart of token after checking again,
// on the server, everything the pages showed: every step done at this
// revision, the terms accepted, every line's sales rules with live stock,
// the payment mode allowed to this buyer for the recomputed total. The
// order, its mails and the emptied cart commit together, durably.
func (s *Service) PlaceOrder(ctx context.Context, shopCode, token, lang string, b Buyer, f PlaceForm) (*Placed, error) {
	var placed *Placed
	_, err := s.cartTx(ctx, s.Store.InTx, shopCode, token, false, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		co := &cs.Checkout
		if len(cart.Items) == 0 {
			return ErrEmptyCart
		}
		if f.Rev != co.Rev {
			return ErrStale
		}
		steps := s.steps(c, cart.Items)
		if err := reachable(steps, StepReview, co.Done); err != nil {
			return err
		}
		bound, err := tx.CustomerByUser(ctx, c.shop.ID, b.UserRef)
		if err != nil && !errors.Is(err, store.ErrNotFound) || b.UserRef == "" {
			bound = nil
		}
		v := b.visitor(bound != nil)
		// The order's mails, now and from production, are in the
		// customer's language when they chose one (their profile), else
		// in the page's.
		mailLang := lang
		if bound != nil {
			mailLang = cmp.Or(bound.Locale, lang)
		}
		cartView := &CartView{Shop: c.shop}
		in := orders.PlaceInput{Shop: c.shop, Elements: c.byID, TaxClasses: c.taxes, CustomerID: co.CustomerID,
			LMSUserRef: b.UserRef, PaymentMode: f.Mode, PaymentInput: f.PaymentInput,
			ModeContext: payment.ModeContext{SignedIn: b.UserRef != "", Admin: b.Admin}, Locale: mailLang,
			PartnerTag: cart.PartnerTag, Actor: actor(b, co)}
		for _, it := range cart.Items {
			p := c.byID[it.ProductID]
			if p == nil {
				return fmt.Errorf("%w: a product left the catalogue", ErrLineRefused)
			}
			if err := checkLine(ctx, tx, c, p, it.Quantity, v, cs); err != nil {
				return fmt.Errorf("%w: %w", ErrLineRefused, err)
			}
			if len(p.RequiredFields) > 0 && len(co.Answers[p.Code]) != it.Quantity {
				return &StepError{Step: StepRequirements}
			}
			if n := seats(p, it.Quantity); n > 0 && len(co.Participants[p.Code]) != n {
				return &StepError{Step: StepParticipants}
			}
			in.Lines = append(in.Lines, orders.PlaceLine{Product: p, Quantity: it.Quantity, Answers: co.Answers[p.Code],
				Participants: co.Participants[p.Code]})
			cartView.Lines = append(cartView.Lines, CartLine{Code: p.Code})
		}
		if len(c.terms(cartView, lang)) > 0 && !f.TermsAccepted {
			return ErrTermsNotAccepted
		}
		if co.Contact == nil {
			return &StepError{Step: StepCustomer}
		}
		in.Customer = identity(*co.Contact)
		if co.Invoicing != nil {
			inv := invoicingIdentity(*co.Invoicing)
			in.Invoicing = &inv
		}
		in.AfterPlace = func(tx *store.Store, o *order.Order) error {
			placed = &Placed{Order: o, URL: s.OrderURL(c.shop.Code, o, time.Now().Add(OrderLinkLifetime))}
			if err := tx.ClearCart(ctx, cart.ID); err != nil {
				return err
			}
			return s.queueOrderMails(ctx, tx, c, o, mailLang, placed.URL)
		}
		if _, err := s.Orders.PlaceTx(ctx, tx, in); err != nil {
			return err
		}
		cs.Checkout = checkout{Rev: co.Rev + 1}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return placed, nil
}

// actor names who places an order: their customer account (as the
// support area's actions do), else the signed-in LMS user, else a guest.
// "user:" is kept for the back office's users.
func actor(b Buyer, co *checkout) string {
	switch {
	case co.CustomerID != 0:
		return customerActor(co.CustomerID)
	case b.UserRef != "":
		return userActor(b.UserRef)
	}
	return "guest"
}

func identity(c customer.Contact) order.Identity {
	return order.Identity{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Organisation: c.Organisation,
		Address: c.Address, Zip: c.Zip, City: c.City, Country: c.Country, Phone: c.Phone}
}

func invoicingIdentity(i customer.Invoicing) order.Identity {
	return order.Identity{FirstName: i.FirstName, LastName: i.LastName, Email: i.Email, Organisation: i.Organisation,
		Department: i.Department, Address: i.Address, Zip: i.Zip, City: i.City, Country: i.Country, VATNumber: i.VATNumber}
}

// OrderLinkLifetime is how long the signed order link of a mail works.
const OrderLinkLifetime = 90 * 24 * time.Hour

// orderSignature signs an order link: HMAC-SHA256 keyed with the order's
// access token hash (a secret only the database holds), over the number and
// the expiry. A link can neither be forged for another order nor extended.
func orderSignature(o *order.Order, expires int64) string {
	m := hmac.New(sha256.New, []byte(o.AccessTokenHash))
	fmt.Fprintf(m, "%s|%d", o.Number, expires)
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// OrderURL returns the absolute, signed link to an order's page, valid
// until expires.
func (s *Service) OrderURL(shopCode string, o *order.Order, expires time.Time) string {
	u := s.BaseURL.JoinPath("shop", shopCode, "orders", o.Number)
	exp := expires.Unix()
	u.RawQuery = "k=" + strconv.FormatInt(exp, 10) + "." + orderSignature(o, exp)
	return u.String()
}

// ErrForbidden is returned when the asker may not see an order. It is
// reported like a missing order, so that numbers cannot be probed.
var ErrForbidden = fmt.Errorf("not your order: %w", ErrNotFound)

// OrderAccess is how a request may prove it may see an order.
type OrderAccess struct {
	Buyer   Buyer
	LinkKey string // "expiry.signature" of the order's signed link
}

// OrderPage is an order as its owner sees it.
type OrderPage struct {
	Shop         *catalog.Shop
	Order        *order.Order
	Events       []order.Event
	Instructions *payment.Instructions // while something is due
}

// Order returns the order with that number in the shop, if the asker may
// see it: placed by or for the signed-in user or a customer they own or
// manage, or reached through an unexpired signed link (where placing the
// order sends the buyer, and what its mails carry).
func (s *Service) Order(ctx context.Context, shopCode, number string, a OrderAccess) (*OrderPage, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	o, err := s.Store.OrderByNumber(ctx, c.shop.ID, number)
	if err != nil {
		return nil, err
	}
	if !s.mayView(ctx, c.shop.ID, o, a) {
		return nil, ErrForbidden
	}
	p := &OrderPage{Shop: c.shop, Order: o}
	if p.Events, err = s.Orders.Events(ctx, o.ID); err != nil {
		return nil, err
	}
	if o.Status.Unpaid() && o.Due().IsPositive() {
		if in, ok := s.Orders.Instructions(o, c.shop, ""); ok {
			p.Instructions = &in
		}
	}
	return p, nil
}

func (s *Service) mayView(ctx context.Context, shopID int64, o *order.Order, a OrderAccess) bool {
	if a.Buyer.UserRef != "" {
		if o.LMSUserRef == a.Buyer.UserRef {
			return true
		}
		if o.CustomerID != 0 {
			if _, err := s.Store.CustomerManagedBy(ctx, shopID, o.CustomerID, a.Buyer.UserRef); err == nil {
				return true // its owner, or one of its managers (C9)
			}
		}
	}
	exp, sig, ok := strings.Cut(a.LinkKey, ".")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || time.Now().Unix() > n {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(orderSignature(o, n)))
}

// queueOrderMails queues, in the placement transaction, the confirmation
// to the buyer, the payment instructions of an offline mode, and the
// notice to the sales team.
func (s *Service) queueOrderMails(ctx context.Context, tx *store.Store, c *catalogue, o *order.Order, lang, url string) error {
	mo := mail.Order{Number: o.Number, PlacedAt: o.PlacedAt, Untaxed: o.Untaxed.Format(lang), Total: o.Total.Format(lang),
		PaymentMode: o.PaymentMode}
	for _, l := range o.Lines {
		mo.Lines = append(mo.Lines, mail.OrderLine{Name: l.Snapshot.Name(lang, c.shop.DefaultLocale), Quantity: l.Quantity,
			UnitPrice: l.Unit.Format(lang), Total: l.Total.Format(lang)})
	}
	for _, rt := range o.TaxBreakdown {
		if rt.Tax.IsZero() {
			continue
		}
		mo.Taxes = append(mo.Taxes, mail.TaxAmount{Label: taxLabel(lang, rt.RateBP), Amount: rt.Tax.Format(lang)})
	}
	ref := mail.Ref{Type: "order", ID: strconv.FormatInt(o.ID, 10)}
	name := strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName)
	if _, err := s.Outbox.Queue(ctx, tx, mail.KindOrderPlaced, lang, o.Customer.Email,
		mail.OrderPlaced{ShopName: c.shop.Name, CustomerName: name, Order: mo, OrderURL: url}, ref, c.shop.ID); err != nil {
		return err
	}
	if o.Status == order.StatusPending {
		in, ok := s.Orders.Instructions(o, c.shop, lang)
		if ok && in.Mode != payment.ModeFree && in.Mode != payment.ModeTest {
			pi := mail.PaymentInstructions{ShopName: c.shop.Name, CustomerName: name, OrderNumber: o.Number,
				Amount: in.Amount.Format(lang), Method: mail.PaymentMethod(in.Mode), OrderURL: url}
			for _, f := range in.Fields {
				switch f.Name {
				case "bank_details":
					pi.BankDetails = f.Value
				case "payee":
					pi.CheckPayee = f.Value
				case "address":
					pi.CheckAddress = f.Value
				}
			}
			if in.Mode == payment.ModePurchaseOrder {
				pi.PurchaseOrder = strings.TrimSpace(c.shop.Seller.Name + "\n" + c.shop.Seller.Address + "\n" + c.shop.Seller.Email)
			}
			if _, err := s.Outbox.Queue(ctx, tx, mail.KindPaymentInstructions, lang, o.Customer.Email, pi, ref, c.shop.ID); err != nil {
				return err
			}
		}
	}
	if s.SalesEmail == "" {
		return nil
	}
	_, err := s.Outbox.Queue(ctx, tx, mail.KindOrderPlacedSales, c.shop.DefaultLocale, s.SalesEmail, mail.OrderPlacedSales{
		ShopName: c.shop.Name, Order: mo, OrderURL: url,
		Customer: mail.Customer{Name: name, Email: o.Customer.Email, Company: o.Customer.Organisation, Phone: o.Customer.Phone,
			Address: strings.TrimSpace(o.Customer.Address + "\n" + o.Customer.Zip + " " + o.Customer.City + "\n" + o.Customer.Country)},
	}, ref, c.shop.ID)
	return err
}

// taxLabel names a tax rate in a mail.
func taxLabel(lang string, bp int64) string {
	pct := pricing.FormatRate(bp)
	if lang == "fr" {
		return "TVA " + strings.ReplaceAll(pct, ".", ",") + " %"
	}
	return "VAT " + pct + " %"
}
