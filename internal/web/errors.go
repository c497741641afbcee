package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"courseshop/internal/shop"
	"courseshop/internal/web/view"
)

// statusClientClosed is the status logged for requests whose client left
// before the answer (nginx's convention; never seen by the client).
const statusClientClosed = 499

// handlerFunc is the shape of every page handler: it returns an error and
// lets one adapter decide how the error looks to the visitor.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// httpError is an error with what the visitor may see of it: a status and
// localised title and text. The wrapped error is only logged.
type httpError struct {
	status   int
	titleKey string
	textKey  string
	err      error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return http.StatusText(e.status) + ": " + e.err.Error()
	}
	return http.StatusText(e.status)
}

func (e *httpError) Unwrap() error { return e.err }

var (
	errNotFound  = &httpError{status: http.StatusNotFound, titleKey: "error.not_found.title", textKey: "error.not_found.text"}
	errForbidden = &httpError{status: http.StatusForbidden, titleKey: "error.forbidden.title", textKey: "error.forbidden.text"}
	errTooLarge  = &httpError{status: http.StatusRequestEntityTooLarge, titleKey: "error.too_large.title"}
)

// handle adapts a handlerFunc to http.Handler.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// renderError shows err as a page. Known errors get their status; anything
// else is a 500 whose details go to the log only, under the request id the
// page shows.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		// The client went away: nobody reads an error page, and it is
		// not a server failure to log as one.
		infoOf(r.Context()).log.Debug("request cancelled by the client", slog.String("path", r.URL.Path))
		w.WriteHeader(statusClientClosed)
		return
	}
	var he *httpError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &he):
	case errors.As(err, &tooLarge):
		he = errTooLarge
	case errors.Is(err, shop.ErrNotFound):
		he = errNotFound
	default:
		he = &httpError{status: http.StatusInternalServerError, titleKey: "error.internal.title", textKey: "error.internal.text", err: err}
	}
	ri := infoOf(r.Context())
	if he.status >= 500 {
		ri.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	p := &view.Page{L: s.localizer(r), Path: r.URL.Path, RequestID: ri.id, Data: he}
	p.Title = p.L.T(he.titleKey)
	if rerr := s.Views.Render(w, he.status, "error", p); rerr != nil {
		ri.log.Error("render error page", slog.Any("error", rerr))
		http.Error(w, http.StatusText(he.status), he.status)
	}
}

// TitleKey and TextKey expose the message ids to the error template.
func (e *httpError) TitleKey() string { return e.titleKey }

// TextKey returns the message id of the explanation, if any.
func (e *httpError) TextKey() string { return e.textKey }
