package shop

import (
	"context"
	"errors"
	"net/url"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/mailaddr"
	"courseshop/internal/store"
)

// SignIn checks a buyer's credentials with the shop's learning platform
// and returns the account.
func (s *Service) SignIn(ctx context.Context, shopCode, login, password string) (*lms.User, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	conn, err := s.lmsOf(c.shop)
	if err != nil {
		return nil, err
	}
	return conn.CheckCredentials(ctx, login, password)
}

// Visitor returns how the sales rules see the buyer of a shop: signed in
// or not, and already a customer (bound) or not.
func (s *Service) Visitor(ctx context.Context, shopCode string, b Buyer) (catalog.Visitor, error) {
	if b.UserRef == "" {
		return catalog.Visitor{}, nil
	}
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return catalog.Visitor{}, err
	}
	cust, err := s.Store.CustomerByUser(ctx, c.shop.ID, b.UserRef)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return catalog.Visitor{}, err
	}
	return b.visitor(cust != nil), nil
}

// Account returns the LMS account of the buyer signed in to a shop, for
// the header.
func (s *Service) Account(ctx context.Context, shopCode string, b Buyer) (*lms.User, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	return s.account(ctx, c.shop, b.UserRef)
}

// account returns the account ref in the LMS of the shop sh.
func (s *Service) account(ctx context.Context, sh *catalog.Shop, ref string) (*lms.User, error) {
	conn, err := s.lmsOf(sh)
	if err != nil {
		return nil, err
	}
	return conn.UserByRef(ctx, ref)
}

// Sign-in links: how long one lives, and how many an address may ask for
// per hour (each is a mail: the limit keeps the shop from being used to
// flood someone's inbox).
const (
	SigninLinkLifetime = 15 * time.Minute
	signinLinksPerHour = 3
)

// ErrTooManyLinks is returned when an address asked for too many sign-in
// links lately.
var ErrTooManyLinks = errors.New("too many sign-in links asked for this address")

// RequestSigninLink mails a one-time sign-in link to the account holding
// email, if there is one. The answer is the same whether or not there is
// an account, so the form tells nobody which addresses have one. The token
// travels only in the mail; the database keeps its hash.
func (s *Service) RequestSigninLink(ctx context.Context, shopCode, email, lang, next string) error {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return err
	}
	conn, err := s.lmsOf(c.shop)
	if err != nil {
		return err
	}
	users, err := conn.UsersByEmail(ctx, email)
	if err != nil || len(users) == 0 {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Store) error {
		n, err := tx.CountSigninTokens(ctx, c.shop.ID, email, time.Now().Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= signinLinksPerHour {
			return ErrTooManyLinks
		}
		tok := bearer.New()
		if err := tx.CreateSigninToken(ctx, bearer.Hash(tok), store.SigninToken{ShopID: c.shop.ID, EmailNorm: mailaddr.Normalize(email),
			LMSUserRef: users[0].Ref, ExpiresAt: time.Now().Add(SigninLinkLifetime)}); err != nil {
			return err
		}
		link := s.BaseURL.JoinPath("shop", c.shop.Code, "signin", "link", tok)
		if next != "" {
			link.RawQuery = url.Values{"next": {next}}.Encode()
		}
		_, err = s.Outbox.Queue(ctx, tx, mail.KindSigninLink, lang, users[0].Email,
			mail.SigninLink{ShopName: c.shop.Name, Link: link.String(), ExpiryMinutes: int(SigninLinkLifetime / time.Minute)},
			mail.Ref{Type: "lms_user", ID: users[0].Ref}, c.shop.ID)
		return err
	})
}

// UseSigninLink consumes a one-time sign-in link and returns the account
// it signs in. A used, expired or unknown link gives ErrNotFound.
func (s *Service) UseSigninLink(ctx context.Context, shopCode, token string) (*lms.User, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	t, err := s.Store.UseSigninToken(ctx, c.shop.ID, bearer.Hash(token))
	if err != nil {
		return nil, err
	}
	return s.account(ctx, c.shop, t.LMSUserRef)
}
