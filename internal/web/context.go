package web

import (
	"context"
	"log/slog"
	"net/http"

	"courseshop/internal/i18n"
)

type ctxKey int

const (
	keyRequest ctxKey = iota
	keyLocalizer
)

// requestInfo is what the observe middleware learns about a request and
// shares with the layers inside it.
type requestInfo struct {
	id    string
	log   *slog.Logger
	route string // the matched pattern, filled in after routing
}

func infoOf(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(keyRequest).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{log: slog.Default()}
}

// localizer returns the request's localizer. Errors raised before language
// negotiation (an oversized body, say) still get one from the header.
func (s *Server) localizer(r *http.Request) *i18n.Localizer {
	if l, ok := r.Context().Value(keyLocalizer).(*i18n.Localizer); ok {
		return l
	}
	return s.I18n.Localizer(s.I18n.Negotiate("", r.Header.Get("Accept-Language")))
}
