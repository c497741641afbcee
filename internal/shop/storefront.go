package shop

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/pricing"
)

// PageSize is how many products a list page shows.
const PageSize = 48

// Shops returns the open shops.
func (s *Service) Shops(ctx context.Context) ([]*catalog.Shop, error) {
	return s.Store.Shops(ctx)
}

// CategoryNode is a visible category with its visible children.
type CategoryNode struct {
	Alias    string
	Name     string
	Children []CategoryNode
}

// ProductCard is a product as a list shows it, in one language.
type ProductCard struct {
	Code      string
	Kind      catalog.Kind
	Name      string
	Summary   string
	Thumbnail string
	Featured  bool
	HasPrice  bool
	Unit      money.Money // untaxed unit price of the first tier ("from")
	UnitTaxed money.Money
	Tiered    bool // more than one tier: the price is a "from" price
}

// Paging describes one page of a list.
type Paging struct {
	Page, Pages, Total int
}

// ShopHome is what the home page of a shop shows.
type ShopHome struct {
	Shop       *catalog.Shop
	Categories []CategoryNode
	Featured   []ProductCard
	Products   []ProductCard
	Paging     Paging
}

// ShopHome returns the home page of shop code: the category tree, the
// featured products and one page of every listed product.
func (s *Service) ShopHome(ctx context.Context, code, lang string, v catalog.Visitor, page int) (*ShopHome, error) {
	c, err := s.catalogue(ctx, code)
	if err != nil {
		return nil, err
	}
	var all []*catalog.Product
	home := &ShopHome{Shop: c.shop, Categories: c.tree(0, lang)}
	for _, p := range c.products {
		if !c.listed(p, v) {
			continue
		}
		all = append(all, p)
		if p.Featured {
			card, err := c.card(p, lang)
			if err != nil {
				return nil, err
			}
			home.Featured = append(home.Featured, card)
		}
	}
	home.Products, home.Paging, err = c.page(all, page, lang)
	return home, err
}

// CategoryPage is a category with its subcategories and products.
type CategoryPage struct {
	Shop        *catalog.Shop
	Alias       string
	Text        catalog.Text
	Breadcrumbs []CategoryNode // from the root, this category excluded
	Children    []CategoryNode
	Categories  []CategoryNode // the whole tree, for navigation
	Products    []ProductCard
	Paging      Paging
}

// CategoryPage returns a page of the products of a visible category and of
// its subcategories.
func (s *Service) CategoryPage(ctx context.Context, code, alias, lang string, v catalog.Visitor, page int) (*CategoryPage, error) {
	c, err := s.catalogue(ctx, code)
	if err != nil {
		return nil, err
	}
	cc := c.byAlias[alias]
	if cc == nil || !c.shown[cc.ID] {
		return nil, fmt.Errorf("category %s: %w", alias, ErrNotFound)
	}
	cp := &CategoryPage{Shop: c.shop, Alias: alias, Text: cc.Texts.In(lang, c.shop.DefaultLocale),
		Breadcrumbs: c.breadcrumbs(cc.ParentID, lang), Children: c.tree(cc.ID, lang), Categories: c.tree(0, lang)}
	var in []*catalog.Product
	for _, p := range c.products {
		if c.listed(p, v) && c.inBranch(p.CategoryID, cc.ID) {
			in = append(in, p)
		}
	}
	cp.Products, cp.Paging, err = c.page(in, page, lang)
	return cp, err
}

// SearchPage is the result of a text search.
type SearchPage struct {
	Shop     *catalog.Shop
	Query    string
	Products []ProductCard
	Paging   Paging
}

// MinQueryLen is the shortest search query; shorter ones list nothing.
const MinQueryLen = 2

// Search finds the listed products whose code, name, summary or
// description (in lang) contain every word of query, ignoring case.
func (s *Service) Search(ctx context.Context, code, query, lang string, v catalog.Visitor, page int) (*SearchPage, error) {
	c, err := s.catalogue(ctx, code)
	if err != nil {
		return nil, err
	}
	query = strings.TrimSpace(query)
	sp := &SearchPage{Shop: c.shop, Query: query}
	words := strings.Fields(strings.ToLower(query))
	if len([]rune(query)) < MinQueryLen {
		words = nil
	}
	var found []*catalog.Product
	for _, p := range c.products {
		if len(words) == 0 || !c.listed(p, v) {
			continue
		}
		text, ok := c.text[p.ID][lang]
		if !ok {
			text = c.text[p.ID][c.shop.DefaultLocale]
		}
		if containsAll(text, words) {
			found = append(found, p)
		}
	}
	sp.Products, sp.Paging, err = c.page(found, page, lang)
	return sp, err
}

func containsAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// ErrPageOutOfRange is returned for a page number past the last page.
var ErrPageOutOfRange = fmt.Errorf("page out of range: %w", ErrNotFound)

// page cuts one page out of ps and turns it into cards. Page 1 of an empty
// list exists (and says the list is empty); any other missing page is
// ErrPageOutOfRange.
func (c *catalogue) page(ps []*catalog.Product, page int, lang string) ([]ProductCard, Paging, error) {
	pg := Paging{Page: page, Total: len(ps), Pages: max(1, (len(ps)+PageSize-1)/PageSize)}
	if page < 1 || page > pg.Pages {
		return nil, pg, ErrPageOutOfRange
	}
	end := min(len(ps), page*PageSize)
	cards := make([]ProductCard, 0, end-(page-1)*PageSize)
	for _, p := range ps[(page-1)*PageSize : end] {
		card, err := c.card(p, lang)
		if err != nil {
			return nil, pg, err
		}
		cards = append(cards, card)
	}
	return cards, pg, nil
}

func (c *catalogue) card(p *catalog.Product, lang string) (ProductCard, error) {
	t := p.Texts.In(lang, c.shop.DefaultLocale)
	card := ProductCard{Code: p.Code, Kind: p.Kind, Name: t.Name, Summary: t.Summary, Thumbnail: p.Thumbnail, Featured: p.Featured}
	unit, err := p.UnitPrice(c.shop.Currency, 1)
	if errors.Is(err, catalog.ErrNoPrice) {
		return card, nil
	}
	if err != nil {
		return card, err
	}
	card.HasPrice, card.Unit, card.Tiered = true, unit, len(p.Tiers(c.shop.Currency)) > 1
	card.UnitTaxed, err = pricing.UnitTaxed(unit, c.rate(p))
	if err != nil {
		return card, fmt.Errorf("price of %s: %w", p.Code, err)
	}
	return card, nil
}

// tree returns the visible children of parent, recursively.
func (c *catalogue) tree(parent int64, lang string) []CategoryNode {
	var out []CategoryNode
	for _, cc := range c.children[parent] {
		out = append(out, CategoryNode{Alias: cc.Alias, Name: cc.Texts.In(lang, c.shop.DefaultLocale).Name, Children: c.tree(cc.ID, lang)})
	}
	return out
}

// breadcrumbs returns the branch from the root down to category id.
func (c *catalogue) breadcrumbs(id int64, lang string) []CategoryNode {
	var out []CategoryNode
	for depth := 0; id != 0 && depth < 64; depth++ {
		cc := c.byCatID[id]
		if cc == nil {
			break
		}
		out = append([]CategoryNode{{Alias: cc.Alias, Name: cc.Texts.In(lang, c.shop.DefaultLocale).Name}}, out...)
		id = cc.ParentID
	}
	return out
}
