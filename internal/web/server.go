// Package web is the HTTP surface of the shop: the server, its middleware,
// the route table and the handlers. Handlers parse requests, call the shop
// services and render views; business rules live below them.
package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"

	"courseshop/internal/i18n"
	"courseshop/internal/metrics"
	"courseshop/internal/shop"
	"courseshop/internal/store"
	"courseshop/internal/web/view"
)

// Deps are what the web layer needs from the rest of the application.
type Deps struct {
	Store        *store.Store // for the health check and the session store
	Shop         *shop.Service
	I18n         *i18n.Catalog
	Views        *view.Engine
	Metrics      *metrics.Metrics // nil disables /metrics
	Log          *slog.Logger
	BaseURL      *url.URL
	MaxBodyBytes int64
}

// Server routes and serves HTTP requests.
type Server struct {
	Deps
	sessions      *scs.SessionManager
	cache         *pageCache
	passcodeLimit *limiter
	signinLimit   *limiter
}

// New returns the server for deps.
func New(d Deps) *Server {
	sm := scs.New()
	sm.Store = d.Store.Sessions()
	sm.Lifetime = 30 * 24 * time.Hour
	sm.IdleTimeout = 7 * 24 * time.Hour
	sm.Cookie.Name = "courseshop_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.BaseURL.Scheme == "https"
	sm.Cookie.Path = "/"
	return &Server{Deps: d, sessions: sm, cache: newPageCache(5000),
		passcodeLimit: newLimiter(20, 10*time.Minute), signinLimit: newLimiter(10, time.Minute)}
}

// Handler returns the complete HTTP handler with its middleware.
func (s *Server) Handler() http.Handler {
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", s.healthz)
	if s.Metrics != nil {
		root.Handle("GET /metrics", s.Metrics.Handler())
	}
	root.Handle("GET /static/{hash}/{name...}", s.Views.StaticHandler())
	root.HandleFunc("GET /media/{hash}/{name}", s.media)
	root.Handle("/", s.pages())

	var h http.Handler = recordRoute(root)
	h = s.limitBody(h)
	h = securityHeaders(h)
	h = s.observe(h) // request id, logs, metrics; outside recovery so a panic is logged with its id
	return s.recoverPanics(h)
}

// pages is the browser-facing part: sessions, language and cross-origin
// protection apply here, not to probes and static files.
func (s *Server) pages() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(s.BaseURL.Scheme + "://" + s.BaseURL.Host); err != nil {
		s.Log.Warn("trusted origin refused", slog.String("base_url", s.BaseURL.String()), slog.Any("error", err))
	}
	csrf.SetDenyHandler(s.handle(func(http.ResponseWriter, *http.Request) error { return errForbidden }))
	var h http.Handler = recordRoute(mux)
	h = csrf.Handler(h)
	h = s.negotiateLanguage(h)
	return s.sessions.LoadAndSave(h)
}
