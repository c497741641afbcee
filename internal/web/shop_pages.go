package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/i18n"
	"courseshop/internal/shop"
	"courseshop/internal/user"
	"courseshop/internal/web/view"
)

// buyer is who the request comes from in its shop: a guest, or the LMS
// user signed in to that shop; and whether an administrator is signed in
// to the back office in the same browser (test mode is theirs).
func (s *Server) buyer(r *http.Request) shop.Buyer {
	b := shop.Buyer{UserRef: s.sessions.GetString(r.Context(), sessionUser(r.PathValue("shop")))}
	if u := s.staff(r); u != nil {
		b.Admin = u.Role == user.RoleAdmin
	}
	return b
}

// visitor is the buyer as the sales rules see them. A failure to read the
// customer record counts as "not a customer": it only narrows offers.
func (s *Server) visitor(r *http.Request) catalog.Visitor {
	v, err := s.Shop.Visitor(r.Context(), r.PathValue("shop"), s.buyer(r))
	if err != nil {
		infoOf(r.Context()).log.Warn("visitor", "error", err)
		return catalog.Visitor{SignedIn: s.buyer(r).UserRef != ""}
	}
	return v
}

// pageNumber reads ?page=, defaulting to 1; garbage is a 404 like a page
// past the end.
func pageNumber(r *http.Request) (int, error) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errNotFound
	}
	return n, nil
}

// shopPage renders a storefront page through the page cache. build is only
// called on a miss. Pages for anonymous visitors are cached; the mini-cart
// is added per request.
func (s *Server) shopPage(w http.ResponseWriter, r *http.Request, name string, build func(l *i18n.Localizer) (*view.Page, error)) error {
	l := s.localizer(r)
	shopCode := r.PathValue("shop")
	version, err := s.Shop.Version(r.Context())
	if err != nil {
		return err
	}
	key := l.Lang() + " " + r.URL.RequestURI()
	// Pages of signed-in buyers depend on who they are: never cached.
	cacheable := s.buyer(r).UserRef == ""
	if p, ok := s.cache.get(version, key); ok && cacheable {
		return s.writeShopPage(w, r, shopCode, http.StatusOK, p, nil)
	}
	page, err := build(l)
	if err != nil {
		return err
	}
	if !cacheable {
		s.withAccount(r, page)
	}
	head, tail, err := s.Views.RenderSplit(name, page)
	if err != nil {
		return err
	}
	p := cachedPage{head: head, tail: tail}
	if cacheable {
		s.cache.put(version, key, p)
	}
	return s.writeShopPage(w, r, shopCode, http.StatusOK, p, nil)
}

// renderShop renders a shop page that is never cached (cart, form errors).
func (s *Server) renderShop(w http.ResponseWriter, r *http.Request, status int, name string, page *view.Page) error {
	return s.renderShopCart(w, r, status, name, page, nil)
}

// renderShopCart is renderShop for a page that has priced the visitor's
// cart already: the mini-cart uses sum instead of reading the cart again.
func (s *Server) renderShopCart(w http.ResponseWriter, r *http.Request, status int, name string, page *view.Page, sum *shop.CartSummary) error {
	s.withAccount(r, page)
	head, tail, err := s.Views.RenderSplit(name, page)
	if err != nil {
		return err
	}
	return s.writeShopPage(w, r, page.Shop.Code, status, cachedPage{head: head, tail: tail}, sum)
}

// writeShopPage writes a page with the visitor's mini-cart in place,
// reading the cart unless sum is given.
func (s *Server) writeShopPage(w http.ResponseWriter, r *http.Request, shopCode string, status int, p cachedPage, sum *shop.CartSummary) error {
	var mini bytes.Buffer
	if p.tail != nil {
		if sum == nil {
			read, err := s.Shop.CartSummary(r.Context(), shopCode, cartToken(r, shopCode))
			if err != nil {
				return err
			}
			sum = &read
		}
		l := s.localizer(r)
		label := l.T("cart.mini_empty")
		if sum.Count > 0 {
			label = l.N("cart.mini", sum.Count, "Total", sum.Taxed.Format(l.Lang()))
		}
		if err := s.Views.RenderFragment(&mini, "minicart", map[string]string{"Shop": shopCode, "Label": label}); err != nil {
			return err
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" { // personal pages set no-store
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	for _, b := range [][]byte{p.head, mini.Bytes(), p.tail} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) shopPageData(r *http.Request, l *i18n.Localizer, sh *catalog.Shop, data any) *view.Page {
	return &view.Page{L: l, Path: r.URL.RequestURI(), RequestID: infoOf(r.Context()).id, Shop: sh, Data: data}
}

// shopHome shows a shop's categories, featured products and product list.
func (s *Server) shopHome(w http.ResponseWriter, r *http.Request) error {
	page, err := pageNumber(r)
	if err != nil {
		return err
	}
	return s.shopPage(w, r, "shop", func(l *i18n.Localizer) (*view.Page, error) {
		home, err := s.Shop.ShopHome(r.Context(), r.PathValue("shop"), l.Lang(), s.visitor(r), page)
		if err != nil {
			return nil, err
		}
		p := s.shopPageData(r, l, home.Shop, home)
		p.Description = home.Shop.Description
		if page > 1 {
			p.Title = l.T("paging.page_of", "Page", page, "Pages", home.Paging.Pages)
		}
		return p, nil
	})
}

// category shows a category's products and subcategories.
func (s *Server) category(w http.ResponseWriter, r *http.Request) error {
	page, err := pageNumber(r)
	if err != nil {
		return err
	}
	return s.shopPage(w, r, "category", func(l *i18n.Localizer) (*view.Page, error) {
		cp, err := s.Shop.CategoryPage(r.Context(), r.PathValue("shop"), r.PathValue("alias"), l.Lang(), s.visitor(r), page)
		if err != nil {
			return nil, err
		}
		p := s.shopPageData(r, l, cp.Shop, cp)
		p.Title = firstNonEmpty(cp.Text.SEOTitle, cp.Text.Name)
		p.Description = firstNonEmpty(cp.Text.SEODescription, cp.Text.Description)
		return p, nil
	})
}

// productView is the product page with what the buyer typed in its forms.
type productView struct {
	*shop.ProductPage
	Quantity      string
	Error         string
	PasscodeError string
}

// product shows one product. A product whose passcode the visitor's cart
// holds is shown with its order form, and that page is the visitor's own:
// it bypasses the cache.
func (s *Server) product(w http.ResponseWriter, r *http.Request) error {
	shopCode := r.PathValue("shop")
	unlocked, err := s.Shop.PasscodeUnlocked(r.Context(), shopCode, cartToken(r, shopCode), r.PathValue("code"))
	if err != nil {
		return err
	}
	if unlocked {
		p, err := s.productPage(r, s.localizer(r), productView{Quantity: "1"}, true)
		if err != nil {
			return err
		}
		p.Flashes = s.takeFlashes(w, r)
		return s.renderShop(w, r, http.StatusOK, "product", p)
	}
	return s.shopPage(w, r, "product", func(l *i18n.Localizer) (*view.Page, error) {
		return s.productPage(r, l, productView{Quantity: "1"}, false)
	})
}

// productPage builds the product page with what the buyer typed.
func (s *Server) productPage(r *http.Request, l *i18n.Localizer, pv productView, unlocked bool) (*view.Page, error) {
	pp, err := s.Shop.ProductPage(r.Context(), r.PathValue("shop"), productCode(r), l.Lang(), s.visitor(r), unlocked)
	if err != nil {
		return nil, err
	}
	pv.ProductPage = pp
	p := s.shopPageData(r, l, pp.Shop, pv)
	p.Title = firstNonEmpty(pp.Text.SEOTitle, pp.Card.Name)
	p.Description = firstNonEmpty(pp.Text.SEODescription, pp.Card.Summary)
	return p, nil
}

// productCode is the code a request is about: in the path for product
// pages, in the form for cart actions.
func productCode(r *http.Request) string {
	if c := r.PathValue("code"); c != "" {
		return c
	}
	return r.PostFormValue("code")
}

// search lists the products matching ?q=.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	page, err := pageNumber(r)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > 100 {
		q = q[:100]
	}
	return s.shopPage(w, r, "search", func(l *i18n.Localizer) (*view.Page, error) {
		sp, err := s.Shop.Search(r.Context(), r.PathValue("shop"), q, l.Lang(), s.visitor(r), page)
		if err != nil {
			return nil, err
		}
		p := s.shopPageData(r, l, sp.Shop, sp)
		p.Query = sp.Query
		p.Title = l.T("search.title")
		return p, nil
	})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
