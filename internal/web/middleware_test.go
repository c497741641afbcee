package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))}}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "stack=") {
		t.Errorf("panic not logged with its stack: %s", logs.String())
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/shop/demo?x=1":      "/shop/demo?x=1",
		"/":                   "/",
		"":                    "/",
		"shop":                "/",
		"//evil.example":      "/",
		"/\\evil":             "/",
		"https://x.org/":      "/",
		"/a\r\nSet-Cookie: x": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCancelledRequestIsNotAServerError(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/x", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	s.observe(s.handle(func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("store: commit: %w", context.Canceled)
	})).ServeHTTP(rec, req)
	if rec.Code != statusClientClosed || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("status %d, logs:\n%s", rec.Code, logs.String())
	}
}
