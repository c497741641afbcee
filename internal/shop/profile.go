package shop

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// checkContact normalises the contact details and the distinct invoicing
// identity (nil: none) and returns what is wrong with them.
func checkContact(contact *customer.Contact, inv *customer.Invoicing) []customer.Problem {
	contact.Normalize()
	problems := contact.Validate(false)
	if inv != nil {
		inv.Normalize()
		problems = append(problems, inv.Validate()...)
	}
	return problems
}

// MyProfile returns the shop and the customer account bound to the
// signed-in buyer, for the profile form.
func (s *Service) MyProfile(ctx context.Context, shopCode string, b Buyer) (*catalog.Shop, *customer.Customer, error) {
	c, cust, err := s.ownCustomer(ctx, shopCode, b)
	if err != nil {
		return nil, nil, err
	}
	return c.shop, cust, nil
}

// SaveProfile records the signed-in customer's edited details (rule C6)
// and the language of the shop's mails to them (one of
// catalog.Locales(); empty keeps the current one), and pushes names, city, country, organisation and
// phone to their LMS profile. Invalid input changes nothing and comes
// back as problems. The save stands even when the LMS fails: that is
// logged, not shown, as the customer's details are the shop's record.
func (s *Service) SaveProfile(ctx context.Context, shopCode string, b Buyer, contact customer.Contact, inv *customer.Invoicing, locale string) ([]customer.Problem, error) {
	c, cust, err := s.ownCustomer(ctx, shopCode, b)
	if err != nil {
		return nil, err
	}
	problems := checkContact(&contact, inv)
	if locale == "" {
		locale = cust.Locale
	} else if !slices.Contains(catalog.Locales(), locale) {
		problems = append(problems, customer.Problem{Field: "locale", Key: "form.locale_invalid"})
	}
	if len(problems) > 0 {
		return problems, nil
	}
	cust.Contact, cust.Invoicing, cust.Locale = contact, inv, locale
	err = s.Store.SaveOwnCustomer(ctx, cust, b.UserRef)
	if errors.Is(err, store.ErrConflict) {
		return []customer.Problem{{Field: "email", Key: "form.email_taken"}}, nil
	}
	if err != nil {
		return nil, err
	}
	conn, err := s.lmsOf(c.shop)
	var u *lms.User
	if err == nil {
		u, err = conn.UserByRef(ctx, b.UserRef)
	}
	if err == nil {
		err = conn.UpdateProfile(ctx, b.UserRef, production.ProfileOf(identity(contact)).Over(u))
	}
	if err != nil {
		s.Log.Warn("profile saved, LMS not updated", slog.String("shop", c.shop.Code), slog.String("user", b.UserRef), slog.Any("error", err))
	}
	return nil, nil
}
