package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// statusWriter remembers the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe gives each request an id (echoed in X-Request-Id and in every log
// line about it), logs it once when done, and feeds the metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: newRequestID()}
		ri.log = s.Log.With(slog.String("request_id", ri.id))
		w.Header().Set("X-Request-Id", ri.id)
		var done func(string, string, int, time.Duration)
		if s.Metrics != nil {
			done = s.Metrics.RequestStarted()
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), keyRequest, ri)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		route := ri.route
		if route == "" {
			route = "unmatched"
		}
		if done != nil {
			done(route, r.Method, sw.status, took)
		}
		level := slog.LevelInfo
		if sw.status >= 500 && sw.status != statusClientClosed {
			level = slog.LevelError
		}
		ri.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("took", took),
			slog.String("remote_addr", r.RemoteAddr))
	})
}

// recordRoute tells observe which pattern matched. ServeMux sets r.Pattern
// on the request it is given; the middleware outside sees a copy, so the
// pattern travels back through the request info.
func recordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.Pattern != "" && r.Pattern != "/" {
			infoOf(r.Context()).route = r.Pattern
		}
	})
}

// recoverPanics turns a panic into a logged 500 instead of a dropped
// connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil || p == http.ErrAbortHandler {
				if p != nil {
					panic(p)
				}
				return
			}
			s.Log.Error("panic", slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. The CSP allows
// only the shop's own scripts, styles and images: buyer or product data can
// never bring in active content.
func securityHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; handlers reading more get an error that
// renders as 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.MaxBodyBytes {
			s.renderError(w, r, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// negotiateLanguage picks the page language: the visitor's choice stored in
// the session, else the Accept-Language header.
func (s *Server) negotiateLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := s.I18n.Negotiate(s.sessions.GetString(r.Context(), sessionLang), r.Header.Get("Accept-Language"))
		w.Header().Add("Vary", "Accept-Language") // the session cookie adds its own Vary
		ctx := context.WithValue(r.Context(), keyLocalizer, s.I18n.Localizer(lang))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
