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

// TierRow is one line of a product's price table.
type TierRow struct {
	From, To  int // To is 0 for "and more"
	Unit      money.Money
	UnitTaxed money.Money
}

// ProductPage is everything the product page shows, in one language.
type ProductPage struct {
	Shop        *catalog.Shop
	Card        ProductCard
	Text        catalog.Text
	Lead        string   // first paragraph of the description
	More        []string // the other paragraphs, behind "read more"
	Picture     string
	Leaflet     string
	Breadcrumbs []CategoryNode
	Tiers       []TierRow
	RateBP      int64
	Elements    []ProductCard // of a set or bundle
	MaxQuantity int
	StockLeft   int  // meaningful when Limited
	Limited     bool // the stock is limited
	Passcode    bool // a passcode is asked before buying
	// Refusal is why the visitor cannot buy the product now, if they cannot
	// (the passcode aside: the page asks for it).
	Refusal catalog.Reason
}

// ProductPage returns the page of product code in shop. Products that are
// not listed (internal, suspended, hidden category…) are still shown to
// someone holding the link, with the reason they cannot be bought, except
// internal ones, which do not exist for visitors.
func (s *Service) ProductPage(ctx context.Context, shopCode, code, lang string, v catalog.Visitor, unlocked bool) (*ProductPage, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	p := c.byCode[code]
	if p == nil || p.Status == catalog.StatusInternal {
		return nil, fmt.Errorf("product %s: %w", code, ErrNotFound)
	}
	card, err := c.card(p, lang)
	if err != nil {
		return nil, err
	}
	t := p.Texts.In(lang, c.shop.DefaultLocale)
	pp := &ProductPage{Shop: c.shop, Card: card, Text: t, Picture: p.Picture, Leaflet: p.Leaflet,
		MaxQuantity: p.MaxQuantity, Passcode: p.PasscodeHash != "", RateBP: c.rate(p)}
	pp.Lead, pp.More = paragraphs(t.Description)
	if cc := c.byCatID[p.CategoryID]; cc != nil {
		pp.Breadcrumbs = c.breadcrumbs(cc.ID, lang)
	}
	from := 1
	for _, tier := range p.Tiers(c.shop.Currency) {
		taxed, err := pricing.UnitTaxed(tier.Unit, pp.RateBP)
		if err != nil {
			return nil, err
		}
		pp.Tiers = append(pp.Tiers, TierRow{From: from, To: tier.UpTo, Unit: tier.Unit, UnitTaxed: taxed})
		from = tier.UpTo + 1
	}
	for _, e := range p.Elements {
		if ep := c.byID[e.ProductID]; ep != nil {
			ec, err := c.card(ep, lang)
			if err != nil {
				return nil, err
			}
			pp.Elements = append(pp.Elements, ec)
		}
	}
	pp.StockLeft, pp.Limited = p.StockLeft()
	err = p.CheckPurchase(catalog.Purchase{Visitor: v, Quantity: 1, Unlocked: true, Currency: c.shop.Currency, Elements: c.byID})
	var r *catalog.Refusal
	if errors.As(err, &r) {
		pp.Refusal = r.Reason
	} else if err != nil {
		return nil, err
	}
	if unlocked {
		pp.Passcode = false
	}
	return pp, nil
}

// paragraphs splits a description on blank lines into its first paragraph
// and the rest.
func paragraphs(s string) (string, []string) {
	var ps []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return "", nil
	}
	return ps[0], ps[1:]
}

// SitemapEntry is one URL path of a shop for the sitemap.
type SitemapEntry struct {
	Path string
}

// Sitemap returns the paths of every open shop's pages an anonymous
// visitor can see: shop homes, visible categories, listed products.
func (s *Service) Sitemap(ctx context.Context) ([]SitemapEntry, error) {
	shops, err := s.Store.Shops(ctx)
	if err != nil {
		return nil, err
	}
	var out []SitemapEntry
	for _, sh := range shops {
		c, err := s.catalogue(ctx, sh.Code)
		if err != nil {
			return nil, err
		}
		base := "/shop/" + sh.Code
		out = append(out, SitemapEntry{Path: base})
		for _, cc := range c.categories {
			if c.shown[cc.ID] {
				out = append(out, SitemapEntry{Path: base + "/c/" + cc.Alias})
			}
		}
		for _, p := range c.products {
			if c.listed(p, catalog.Visitor{}) {
				out = append(out, SitemapEntry{Path: base + "/p/" + p.Code})
			}
		}
	}
	return out, nil
}
