package web

import "net/http"

// routes is the route table of the pages. One line per URL, so that this
// file shows the whole browser surface.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.handle(s.home))
	mux.Handle("GET /shop/{shop}", s.handle(s.shopHome))
	mux.Handle("GET /lang/{lang}", s.handle(s.switchLanguage))
	mux.Handle("/", s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
}
