package web

import (
	"net/http"

	"courseshop/internal/catalog"
)

// shopHome shows a shop's categories and the products the visitor may see.
func (s *Server) shopHome(w http.ResponseWriter, r *http.Request) error {
	l := s.localizer(r)
	home, err := s.Shop.ShopHome(r.Context(), r.PathValue("shop"), l.Lang(), catalog.Visitor{})
	if err != nil {
		return err
	}
	p := s.page(r, home)
	p.Title, p.Description = home.Shop.Name, home.Shop.Description
	return s.Views.Render(w, http.StatusOK, "shop", p)
}
