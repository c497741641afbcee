package shop

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"courseshop/internal/customer"
	"courseshop/internal/mail"
	"courseshop/internal/store"
)

// maxSupportMessage bounds a support message, in characters.
const maxSupportMessage = 5000

// SendSupportMessage records a message of the signed-in buyer, for
// customer id (their own or one they manage; 0: the first of those), to
// the sales team and mails it to the shop's sales address, in one
// transaction. about is empty or the number of one of the customer's
// orders or the reference of one of their products; anything else, like
// an empty or too long message, comes back as a problem and nothing is
// sent.
func (s *Service) SendSupportMessage(ctx context.Context, shopCode string, b Buyer, id int64, about, body string) ([]customer.Problem, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, _, err := s.actFor(ctx, c, b, id)
	if err != nil {
		return nil, err
	}
	cust := a.cust
	about, body = strings.TrimSpace(about), strings.TrimSpace(body)
	var problems []customer.Problem
	switch {
	case body == "":
		problems = append(problems, customer.Problem{Field: "body", Key: "form.required"})
	case utf8.RuneCountInString(body) > maxSupportMessage, strings.ContainsRune(body, 0):
		problems = append(problems, customer.Problem{Field: "body", Key: "form.too_long"})
	}
	if about != "" {
		ok, err := s.ownsSubject(ctx, c.shop.ID, cust.ID, about)
		if err != nil {
			return nil, err
		}
		if !ok {
			problems = append(problems, customer.Problem{Field: "about", Key: "support.about_unknown"})
		}
	}
	if len(problems) > 0 {
		return problems, nil
	}
	who := mail.Customer{Name: strings.TrimSpace(cust.FirstName + " " + cust.LastName), Email: cust.Email, Company: cust.Organisation, Phone: cust.Phone}
	if a.role != store.RoleOwner { // the team answers the manager who wrote
		if who.Name, who.Email, err = s.userName(ctx, c.shop, b.UserRef); err != nil {
			return nil, err
		}
		who.Phone = ""
	}
	m := &store.SupportMessage{ShopID: c.shop.ID, CustomerID: cust.ID, About: about, Body: body}
	return nil, s.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.AddSupportMessage(ctx, m); err != nil {
			return err
		}
		if s.SalesEmail == "" {
			return nil
		}
		_, err := s.Outbox.Queue(ctx, tx, mail.KindSupportMessage, c.shop.DefaultLocale, s.SalesEmail, mail.SupportMessage{
			ShopName: c.shop.Name, About: about, Body: body, Customer: who,
		}, mail.Ref{Type: "support_message", ID: strconv.FormatInt(m.ID, 10)}, c.shop.ID)
		return err
	})
}

// ownsSubject tells whether about is the number of one of the customer's
// orders or the reference of one of their products.
func (s *Service) ownsSubject(ctx context.Context, shopID, customerID int64, about string) (bool, error) {
	o, err := s.Store.OrderByNumber(ctx, shopID, about)
	switch {
	case err == nil:
		return o.CustomerID == customerID, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	in, err := s.Store.InstanceByReference(ctx, about)
	switch {
	case err == nil:
		return in.CustomerID == customerID, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}
