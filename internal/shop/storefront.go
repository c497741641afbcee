package shop

import (
	"context"
	"errors"
	"fmt"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
)

// Shops returns the open shops.
func (s *Service) Shops(ctx context.Context) ([]*catalog.Shop, error) {
	return s.store.Shops(ctx)
}

// ShopHome is what the home page of a shop shows.
type ShopHome struct {
	Shop       *catalog.Shop
	Categories []CategoryNode
	Products   []ProductCard
}

// CategoryNode is a visible category with its visible children.
type CategoryNode struct {
	Alias    string
	Name     string
	Children []CategoryNode
}

// ProductCard is a product as a list shows it, in one language.
type ProductCard struct {
	Code        string
	Name        string
	Summary     string
	HasPrice    bool
	FromUntaxed money.Money // first tier's unit price
	FromTaxed   money.Money
}

// ShopHome returns the home page of the shop with that code, in lang, for
// visitor v: the visible category tree and the products v may see.
func (s *Service) ShopHome(ctx context.Context, code, lang string, v catalog.Visitor) (*ShopHome, error) {
	sh, err := s.store.ShopByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !sh.Enabled {
		return nil, fmt.Errorf("shop %s is closed: %w", code, ErrNotFound)
	}
	cats, err := s.store.Categories(ctx, sh.CatalogID)
	if err != nil {
		return nil, err
	}
	products, err := s.store.Products(ctx, sh.CatalogID)
	if err != nil {
		return nil, err
	}
	classes, err := s.store.TaxClasses(ctx)
	if err != nil {
		return nil, err
	}
	taxes := map[int64]*catalog.TaxClass{}
	for _, tc := range classes {
		taxes[tc.ID] = tc
	}
	home := &ShopHome{Shop: sh, Categories: categoryTree(cats, 0, lang, sh.DefaultLocale)}
	for _, p := range products {
		if !p.Listed(v) {
			continue
		}
		t := p.Texts.In(lang, sh.DefaultLocale)
		card := ProductCard{Code: p.Code, Name: t.Name, Summary: t.Summary}
		unit, err := p.UnitPrice(sh.Currency, 1)
		switch {
		case errors.Is(err, catalog.ErrNoPrice):
		case err != nil:
			return nil, err
		default:
			card.HasPrice, card.FromUntaxed = true, unit
			if card.FromTaxed, err = taxes[p.TaxClassID].Taxed(unit, sh.Seller.Country); err != nil {
				return nil, fmt.Errorf("price of %s: %w", p.Code, err)
			}
		}
		home.Products = append(home.Products, card)
	}
	return home, nil
}

// categoryTree returns the visible children of parent, recursively. A
// hidden category hides its whole branch.
func categoryTree(all []*catalog.Category, parent int64, lang, fallback string) []CategoryNode {
	var out []CategoryNode
	for _, c := range all {
		if c.ParentID != parent || !c.Visible {
			continue
		}
		out = append(out, CategoryNode{
			Alias:    c.Alias,
			Name:     c.Texts.In(lang, fallback).Name,
			Children: categoryTree(all, c.ID, lang, fallback),
		})
	}
	return out
}
