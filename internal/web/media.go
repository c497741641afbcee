package web

import (
	"errors"
	"net/http"
	"strconv"

	"courseshop/internal/shop"
)

// media serves GET /media/{hash}/{name}: catalogue files kept in the
// database. Keys are content-addressed, so responses are cached for ever.
// The sandbox policy keeps an SVG opened on its own from running scripts
// on the shop's origin.
func (s *Server) media(w http.ResponseWriter, r *http.Request) {
	m, err := s.Shop.Media(r.Context(), r.PathValue("hash")+"/"+r.PathValue("name"))
	if errors.Is(err, shop.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		infoOf(r.Context()).log.Error("media", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("ETag", `"`+m.SHA256[:16]+`"`)
	if r.Header.Get("If-None-Match") == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(m.Body)
}
