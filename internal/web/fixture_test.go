package web_test

import (
	"context"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/password"
	"courseshop/internal/store"
)

func eur(t testing.TB, minor int64) money.Money {
	t.Helper()
	m, err := money.New(minor, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// seedRules creates shop "s", whose products each exercise one sales rule,
// and shop "other" with a product of its own.
func seedRules(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cat := &catalog.Catalog{Code: "t", Name: "Test"}
	must(st.CreateCatalog(ctx, cat))
	other := &catalog.Catalog{Code: "o", Name: "Other"}
	must(st.CreateCatalog(ctx, other))
	vat := &catalog.TaxClass{Code: "vat", Name: "VAT", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 2000}}}
	must(st.CreateTaxClass(ctx, vat))
	must(st.CreateShop(ctx, &catalog.Shop{Code: "s", Name: "Rules shop", Currency: "EUR", CatalogID: cat.ID, DefaultLocale: "en",
		ShowTaxedPrices: true, Seller: catalog.Seller{Country: "FR"}, LMSConnector: "local", Enabled: true}))
	must(st.CreateShop(ctx, &catalog.Shop{Code: "other", Name: "Other shop", Currency: "EUR", CatalogID: other.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}))
	top := &catalog.Category{CatalogID: cat.ID, Alias: "top", Visible: true, Texts: catalog.Texts{"en": {Name: "Top"}, "fr": {Name: "Haut"}}}
	must(st.CreateCategory(ctx, top))
	sub := &catalog.Category{CatalogID: cat.ID, ParentID: top.ID, Alias: "sub", Visible: true, Texts: catalog.Texts{"en": {Name: "Sub"}}}
	must(st.CreateCategory(ctx, sub))
	hidden := &catalog.Category{CatalogID: cat.ID, Alias: "hidden", Visible: false, Texts: catalog.Texts{"en": {Name: "Hidden"}}}
	must(st.CreateCategory(ctx, hidden))
	hash, err := password.Hash("sesame", password.Cheap())
	must(err)
	ids := map[string]int64{}
	add := func(p catalog.Product) {
		t.Helper()
		p.CatalogID = cat.ID
		if p.Kind == "" {
			p.Kind = catalog.KindProduct
		}
		if p.Status == "" {
			p.Status = catalog.StatusAvailable
		}
		if p.Audience == "" {
			p.Audience = catalog.AudienceEveryone
		}
		if p.SeatMode == "" {
			p.SeatMode = catalog.SeatNone
		}
		if p.CategoryID == 0 {
			p.CategoryID = sub.ID
		}
		if p.Prices == nil && p.Kind != catalog.KindSet {
			p.Prices = []catalog.Tier{{Unit: eur(t, 10000)}}
		}
		p.TaxClassID = vat.ID
		p.Texts = catalog.Texts{"en": {Name: "Name of " + p.Code, Summary: "About " + p.Code, Description: "First paragraph of " + p.Code + ".\n\nMore about " + p.Code + "."}}
		must(st.CreateProduct(ctx, &p))
		ids[p.Code] = p.ID
	}
	add(catalog.Product{Code: "OK", Prices: []catalog.Tier{{UpTo: 4, Unit: eur(t, 10000)}, {Unit: eur(t, 8000)}}, Featured: true})
	add(catalog.Product{Code: "PREVIEW", Status: catalog.StatusPreview})
	add(catalog.Product{Code: "INTERNAL", Status: catalog.StatusInternal})
	add(catalog.Product{Code: "SUSP", Status: catalog.StatusSuspended})
	add(catalog.Product{Code: "GONE", Status: catalog.StatusExhausted})
	add(catalog.Product{Code: "COMPL", Status: catalog.StatusComplement})
	add(catalog.Product{Code: "SIGNED", Audience: catalog.AudienceSignedIn})
	add(catalog.Product{Code: "CUST", Audience: catalog.AudienceCustomers})
	add(catalog.Product{Code: "GUEST", Audience: catalog.AudienceGuests})
	add(catalog.Product{Code: "PASS", PasscodeHash: hash})
	add(catalog.Product{Code: "MAX2", MaxQuantity: 2})
	add(catalog.Product{Code: "STOCK3", StockLimit: 3})
	add(catalog.Product{Code: "HIDDEN", CategoryID: hidden.ID})
	add(catalog.Product{Code: "NOPRICE", Prices: []catalog.Tier{}})
	add(catalog.Product{Code: "SET", Kind: catalog.KindSet, Elements: []catalog.Element{{ProductID: ids["OK"], Quantity: 1}, {ProductID: ids["MAX2"], Quantity: 1}}})
	add(catalog.Product{Code: "BUNDLE", Kind: catalog.KindBundle, Prices: []catalog.Tier{{Unit: eur(t, 15000)}}, Elements: []catalog.Element{{ProductID: ids["OK"], Quantity: 1}, {ProductID: ids["STOCK3"], Quantity: 1}}})
	add(catalog.Product{Code: "BUNDLEBAD", Kind: catalog.KindBundle, Prices: []catalog.Tier{{Unit: eur(t, 15000)}}, Elements: []catalog.Element{{ProductID: ids["OK"], Quantity: 1}, {ProductID: ids["SUSP"], Quantity: 1}}})
	must(st.CreateProduct(ctx, &catalog.Product{CatalogID: other.ID, Code: "FOREIGN", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: "Foreign"}}, Prices: []catalog.Tier{{Unit: eur(t, 500)}}}))
}
