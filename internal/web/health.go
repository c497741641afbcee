package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// healthz answers 200 when the database answers, 503 otherwise, for load
// balancers and orchestrators.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Store.Ping(ctx); err != nil {
		infoOf(r.Context()).log.Warn("health check failed", slog.Any("error", err))
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","database":"down"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok","database":"up"}` + "\n"))
}
