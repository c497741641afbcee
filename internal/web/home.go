package web

import (
	"net/http"

	"courseshop/internal/web/view"
)

// home lists the open shops.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	shops, err := s.Shop.Shops(r.Context())
	if err != nil {
		return err
	}
	p := s.page(r, map[string]any{"Shops": shops})
	p.Title = p.L.T("home.title")
	return s.Views.Render(w, http.StatusOK, "home", p)
}

// page starts the view data of a page for r.
func (s *Server) page(r *http.Request, data any) *view.Page {
	return &view.Page{L: s.localizer(r), Path: r.URL.Path, RequestID: infoOf(r.Context()).id, Data: data}
}
