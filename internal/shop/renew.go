package shop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// extensionOf returns the product that renews (extends) instance in, and
// the field naming the instance in its checkout: the first product on sale
// or sold as a complement whose handler extends in's product, when that
// product is renewable and in an enrolment that can still be extended.
func (c *catalogue) extensionOf(in *store.Instance) (*catalog.Product, string) {
	p := c.byID[in.ProductID]
	if p == nil || !p.Renewable || in.Deleted || in.LMSObjectType != store.LMSObjectEnrolment {
		return nil, ""
	}
	for _, q := range c.products {
		if q.Status != catalog.StatusAvailable && q.Status != catalog.StatusComplement {
			continue
		}
		if x, ok := production.ExtensionOf(q.Handler, q.HandlerParams); ok && x.Extends(p.Code) {
			return q, x.Field
		}
	}
	return nil, ""
}

// Renewal is what Renew put in the cart.
type Renewal struct {
	Product   string // the extension's name
	Reference string // of the instance it extends
}

// Renew puts in the cart of token the product that extends the signed-in
// customer's product instance ref, one unit whose reference field is
// answered with ref, so that the checkout shows it filled in; the cart may
// then hold that product even when it is sold as a complement only. A
// cart that already extends ref is left as it is. It returns the cart
// token (new when the cart was created). An instance that is not the
// customer's, or that nothing renews, is not found; a sales rule that
// refuses the extension gives its *catalog.Refusal.
func (s *Service) Renew(ctx context.Context, shopCode, token, lang, ref string, b Buyer) (string, *Renewal, error) {
	c, cust, err := s.ownCustomer(ctx, shopCode, b)
	if err != nil {
		return token, nil, err
	}
	in, err := s.Store.InstanceByReference(ctx, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return token, nil, err
	}
	if in == nil || in.CustomerID != cust.ID {
		return token, nil, fmt.Errorf("product %q: %w", ref, ErrForbidden)
	}
	ext, field := c.extensionOf(in)
	if ext == nil {
		return token, nil, fmt.Errorf("product %q renews nothing: %w", ref, ErrNotFound)
	}
	r := &Renewal{Product: ext.Texts.In(lang, c.shop.DefaultLocale).Name, Reference: in.Reference}
	tok, err := s.cartOp(ctx, shopCode, token, true, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		qty := 0
		for _, it := range cart.Items {
			if it.ProductID == ext.ID {
				qty = it.Quantity
			}
		}
		answers := padAnswers(cs.Checkout.Answers[ext.Code], qty)
		if slices.ContainsFunc(answers, func(a map[string]string) bool { return strings.EqualFold(strings.TrimSpace(a[field]), in.Reference) }) {
			return nil
		}
		if !slices.Contains(cs.Complements, ext.ID) {
			cs.Complements = append(cs.Complements, ext.ID)
		}
		if err := addItem(ctx, tx, c, cart, cs, b.visitor(true), ext.Code, 1); err != nil {
			return err
		}
		if cs.Checkout.Answers == nil {
			cs.Checkout.Answers = map[string][]map[string]string{}
		}
		cs.Checkout.Answers[ext.Code] = append(answers, map[string]string{field: in.Reference})
		return nil
	})
	return tok, r, err
}
