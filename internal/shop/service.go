// Package shop holds the application services: the use cases the web layer
// calls (browse a shop, and later fill a cart, check out, pay). It owns
// transactions and turns domain records into what pages need; it knows
// nothing of HTTP.
package shop

import (
	"courseshop/internal/catalog"
	"log/slog"
	"net/url"

	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// ErrNotFound is returned when the thing asked for does not exist (or is not
// visible to the asker, which must look the same).
var ErrNotFound = store.ErrNotFound

// Deps are what the service works with.
type Deps struct {
	Store *store.Store
	// LMS gives each shop its learning platform.
	LMS      *lms.Directory
	Outbox   *mail.Outbox
	Payments *payment.Registry
	Orders   *orders.Service
	// Production runs paid orders; the support area assigns seats with it.
	Production *production.Engine
	Log        *slog.Logger
	// BaseURL is the shop's public address, for the links in mails.
	BaseURL *url.URL
	// SalesEmail receives the sales team's notifications; empty: none.
	SalesEmail string
}

// Service is the shop's application layer.
type Service struct {
	Deps
	cat catalogues
}

// lmsOf returns the connector of the shop sh.
func (s *Service) lmsOf(sh *catalog.Shop) (lms.Accounts, error) {
	return s.LMS.For(sh.Site())
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}
