// Package shop holds the application services: the use cases the web layer
// calls (browse a shop, and later fill a cart, check out, pay). It owns
// transactions and turns domain records into what pages need; it knows
// nothing of HTTP.
package shop

import (
	"log/slog"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// ErrNotFound is returned when the thing asked for does not exist (or is not
// visible to the asker, which must look the same).
var ErrNotFound = store.ErrNotFound

// Service is the shop's application layer.
type Service struct {
	store *store.Store
	lms   lms.Connector
	log   *slog.Logger
	cat   catalogues
}

// New returns the service over st, with conn as the learning platform.
func New(st *store.Store, conn lms.Connector, log *slog.Logger) *Service {
	return &Service{store: st, lms: conn, log: log}
}
