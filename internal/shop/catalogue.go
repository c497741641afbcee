package shop

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"courseshop/internal/catalog"
)

// versionCheckEvery bounds how stale a node's catalogue copy can be: after a
// catalogue change, every node serves the new one within this delay.
const versionCheckEvery = time.Second

// catalogue is an immutable in-memory copy of what one shop sells, so that
// browsing costs no database query. It is rebuilt when the catalogue
// version changes.
type catalogue struct {
	shop       *catalog.Shop
	categories []*catalog.Category // sort order
	byAlias    map[string]*catalog.Category
	byCatID    map[int64]*catalog.Category
	children   map[int64][]*catalog.Category // by parent ID, 0 for roots; visible ones only
	shown      map[int64]bool                // category IDs whose whole branch is visible
	products   []*catalog.Product            // sort order
	byCode     map[string]*catalog.Product
	byID       map[int64]*catalog.Product
	taxes      map[int64]*catalog.TaxClass
	text       map[int64]map[string]string // product ID → lang → lower-cased searchable text
}

// catalogues caches one catalogue per shop code for a catalogue version.
type catalogues struct {
	mu        sync.Mutex
	version   int64
	checkedAt time.Time
	byShop    map[string]*catalogue
}

// Version returns the catalogue version this node serves, checking the
// database at most once per versionCheckEvery. Page caches key on it.
func (s *Service) Version(ctx context.Context) (int64, error) {
	c := &s.cat
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checkedAt) < versionCheckEvery {
		return c.version, nil
	}
	v, err := s.Store.CatalogVersion(ctx)
	if err != nil {
		return 0, err
	}
	if v != c.version || c.byShop == nil {
		c.version, c.byShop = v, map[string]*catalogue{}
	}
	c.checkedAt = time.Now()
	return c.version, nil
}

// catalogue returns the copy for shop code, loading it when needed.
func (s *Service) catalogue(ctx context.Context, code string) (*catalogue, error) {
	if _, err := s.Version(ctx); err != nil {
		return nil, err
	}
	s.cat.mu.Lock()
	cat := s.cat.byShop[code]
	s.cat.mu.Unlock()
	if cat != nil {
		return cat, nil
	}
	cat, err := s.loadCatalogue(ctx, code)
	if err != nil {
		return nil, err
	}
	s.cat.mu.Lock()
	s.cat.byShop[code] = cat
	s.cat.mu.Unlock()
	return cat, nil
}

func (s *Service) loadCatalogue(ctx context.Context, code string) (*catalogue, error) {
	sh, err := s.Store.ShopByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !sh.Enabled {
		return nil, fmt.Errorf("shop %s is closed: %w", code, ErrNotFound)
	}
	cats, err := s.Store.Categories(ctx, sh.CatalogID)
	if err != nil {
		return nil, err
	}
	products, err := s.Store.Products(ctx, sh.CatalogID)
	if err != nil {
		return nil, err
	}
	classes, err := s.Store.TaxClasses(ctx)
	if err != nil {
		return nil, err
	}
	c := &catalogue{
		shop: sh, categories: cats, products: products,
		byAlias: map[string]*catalog.Category{}, byCatID: map[int64]*catalog.Category{},
		children: map[int64][]*catalog.Category{}, shown: map[int64]bool{},
		byCode: map[string]*catalog.Product{}, byID: map[int64]*catalog.Product{},
		taxes: map[int64]*catalog.TaxClass{}, text: map[int64]map[string]string{},
	}
	for _, cc := range cats {
		c.byAlias[cc.Alias] = cc
		c.byCatID[cc.ID] = cc
	}
	for _, cc := range cats {
		if cc.Visible {
			c.children[cc.ParentID] = append(c.children[cc.ParentID], cc)
		}
		c.shown[cc.ID] = c.branchVisible(cc)
	}
	for _, tc := range classes {
		c.taxes[tc.ID] = tc
	}
	for _, p := range products {
		c.byCode[p.Code] = p
		c.byID[p.ID] = p
		c.text[p.ID] = map[string]string{}
		for lang, t := range p.Texts {
			c.text[p.ID][lang] = strings.ToLower(strings.Join([]string{p.Code, t.Name, t.Summary, t.Description}, "\n"))
		}
	}
	return c, nil
}

func (c *catalogue) branchVisible(cc *catalog.Category) bool {
	for depth := 0; cc != nil && depth < 64; depth++ {
		if !cc.Visible {
			return false
		}
		if cc.ParentID == 0 {
			return true
		}
		cc = c.byCatID[cc.ParentID]
	}
	return false
}

// listed reports whether p appears in lists for v: its own rules, and a
// visible category branch (uncategorised products are listed too).
func (c *catalogue) listed(p *catalog.Product, v catalog.Visitor) bool {
	return p.Listed(v) && (p.CategoryID == 0 || c.shown[p.CategoryID])
}

// inBranch reports whether category id is root or one of its descendants.
func (c *catalogue) inBranch(id, root int64) bool {
	for depth := 0; id != 0 && depth < 64; depth++ {
		if id == root {
			return true
		}
		cc := c.byCatID[id]
		if cc == nil {
			return false
		}
		id = cc.ParentID
	}
	return false
}

// rate returns the tax rate applied to p in the shop's country.
func (c *catalogue) rate(p *catalog.Product) int64 {
	return c.taxes[p.TaxClassID].RateFor(c.shop.Seller.Country)
}
