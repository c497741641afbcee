package catalogfile

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/store"
)

// state is what the database holds of the objects a file can describe,
// indexed by code as files refer to them.
type state struct {
	taxClasses map[string]*catalog.TaxClass
	taxByID    map[int64]*catalog.TaxClass
	catalogs   map[string]*dbCatalog
	catByID    map[int64]*dbCatalog
	shops      map[string]*catalog.Shop
}

// dbCatalog is a catalogue with its categories and products.
type dbCatalog struct {
	*catalog.Catalog
	categories   map[string]*catalog.Category
	categoryByID map[int64]*catalog.Category
	products     map[string]*catalog.Product
	productByID  map[int64]*catalog.Product
}

func loadState(ctx context.Context, st *store.Store) (*state, error) {
	s := &state{
		taxClasses: map[string]*catalog.TaxClass{}, taxByID: map[int64]*catalog.TaxClass{},
		catalogs: map[string]*dbCatalog{}, catByID: map[int64]*dbCatalog{}, shops: map[string]*catalog.Shop{},
	}
	tcs, err := st.TaxClasses(ctx)
	if err != nil {
		return nil, err
	}
	for _, tc := range tcs {
		s.taxClasses[tc.Code], s.taxByID[tc.ID] = tc, tc
	}
	cs, err := st.Catalogs(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		dc := &dbCatalog{Catalog: c, categories: map[string]*catalog.Category{}, categoryByID: map[int64]*catalog.Category{},
			products: map[string]*catalog.Product{}, productByID: map[int64]*catalog.Product{}}
		cats, err := st.Categories(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, x := range cats {
			dc.categories[x.Alias], dc.categoryByID[x.ID] = x, x
		}
		ps, err := st.Products(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			dc.products[p.Code], dc.productByID[p.ID] = p, p
		}
		s.catalogs[c.Code], s.catByID[c.ID] = dc, dc
	}
	shops, err := st.AllShops(ctx)
	if err != nil {
		return nil, err
	}
	for _, sh := range shops {
		s.shops[sh.Code] = sh
	}
	return s, nil
}

// The functions below turn database objects into their file form, in the
// canonical shape used both to export and to tell whether an import would
// change anything: media are "/media/{key}" references (export rewrites
// them to file paths), lists and maps are never nil, and everything is in
// its stable order.

// file returns the whole database as a file, every list by code or alias.
func (s *state) file() (*File, error) {
	f := &File{Format: Format, Version: Version, TaxClasses: []TaxClass{}, Catalogs: []Catalog{}, Shops: []Shop{}}
	for _, code := range slices.Sorted(maps.Keys(s.taxClasses)) {
		f.TaxClasses = append(f.TaxClasses, fileTaxClass(s.taxClasses[code]))
	}
	for _, code := range slices.Sorted(maps.Keys(s.catalogs)) {
		dc := s.catalogs[code]
		c := fileCatalog(dc.Catalog)
		for _, alias := range slices.Sorted(maps.Keys(dc.categories)) {
			x, err := s.fileCategory(dc, dc.categories[alias])
			if err != nil {
				return nil, err
			}
			c.Categories = append(c.Categories, x)
		}
		for _, pcode := range slices.Sorted(maps.Keys(dc.products)) {
			p, err := s.fileProduct(dc, dc.products[pcode])
			if err != nil {
				return nil, err
			}
			c.Products = append(c.Products, p)
		}
		f.Catalogs = append(f.Catalogs, c)
	}
	for _, code := range slices.Sorted(maps.Keys(s.shops)) {
		sh, err := s.fileShop(s.shops[code])
		if err != nil {
			return nil, err
		}
		f.Shops = append(f.Shops, sh)
	}
	return f, nil
}

func fileTaxClass(tc *catalog.TaxClass) TaxClass {
	out := TaxClass{Code: tc.Code, Name: tc.Name, Rates: []TaxRate{}}
	for _, r := range tc.Rates {
		out.Rates = append(out.Rates, TaxRate{Country: r.Country, RateBP: r.RateBP, Name: r.Name})
	}
	return canonTaxClass(out)
}

// canonTaxClass orders rates by country: they are a set keyed by country,
// and the database lists them so.
func canonTaxClass(tc TaxClass) TaxClass {
	rates := slices.Clone(tc.Rates)
	if rates == nil {
		rates = []TaxRate{}
	}
	slices.SortStableFunc(rates, func(a, b TaxRate) int { return cmp.Compare(a.Country, b.Country) })
	tc.Rates = rates
	return tc
}

// fileCatalog returns a catalogue's own fields, without its children.
func fileCatalog(c *catalog.Catalog) Catalog {
	return Catalog{Code: c.Code, Name: c.Name, Description: c.Description, Terms: c.Terms, BillFooter: c.BillFooter,
		Categories: []Category{}, Products: []Product{}}
}

func (s *state) fileCategory(dc *dbCatalog, c *catalog.Category) (Category, error) {
	out := Category{Alias: c.Alias, SortOrder: c.SortOrder, Visible: c.Visible, Texts: map[string]CategoryText{}}
	if c.ParentID != 0 {
		parent, ok := dc.categoryByID[c.ParentID]
		if !ok {
			return out, fmt.Errorf("catalogfile: category %s/%s: parent %d is not in its catalogue", dc.Code, c.Alias, c.ParentID)
		}
		out.Parent = parent.Alias
	}
	for lang, t := range c.Texts {
		out.Texts[lang] = CategoryText{Name: t.Name, Description: t.Description, SEOTitle: t.SEOTitle, SEODescription: t.SEODescription}
	}
	return out, nil
}

func canonCategory(c Category) Category {
	if c.Texts == nil {
		c.Texts = map[string]CategoryText{}
	}
	return c
}

func (s *state) fileProduct(dc *dbCatalog, p *catalog.Product) (Product, error) {
	out := Product{
		Code: p.Code, Kind: string(p.Kind), Status: string(p.Status), Audience: string(p.Audience),
		MaxQuantity: p.MaxQuantity, PasscodeHash: p.PasscodeHash, SeatMode: string(p.SeatMode), Renewable: p.Renewable,
		StockLimit: p.StockLimit, Featured: p.Featured, SortOrder: p.SortOrder,
		Thumbnail: p.Thumbnail, Picture: p.Picture, Leaflet: p.Leaflet,
		Texts: map[string]ProductText{}, Prices: map[string][]Tier{}, RequiredFields: []Field{},
		Handler: p.Handler, HandlerParams: p.HandlerParams, Elements: []Element{},
	}
	where := "product " + dc.Code + "/" + p.Code
	if p.CategoryID != 0 {
		c, ok := dc.categoryByID[p.CategoryID]
		if !ok {
			return out, fmt.Errorf("catalogfile: %s: category %d is not in its catalogue", where, p.CategoryID)
		}
		out.Category = c.Alias
	}
	if p.TaxClassID != 0 {
		tc, ok := s.taxByID[p.TaxClassID]
		if !ok {
			return out, fmt.Errorf("catalogfile: %s: unknown tax class %d", where, p.TaxClassID)
		}
		out.TaxClass = tc.Code
	}
	for lang, t := range p.Texts {
		out.Texts[lang] = ProductText(t)
	}
	for _, t := range p.Prices {
		cur := t.Unit.Currency()
		out.Prices[cur] = append(out.Prices[cur], Tier{UpTo: t.UpTo, Unit: t.Unit.Decimal()})
	}
	for _, f := range p.RequiredFields {
		out.RequiredFields = append(out.RequiredFields, fileField(f))
	}
	for _, e := range p.Elements {
		el, ok := dc.productByID[e.ProductID]
		if !ok {
			return out, fmt.Errorf("catalogfile: %s: element %d is not in its catalogue", where, e.ProductID)
		}
		out.Elements = append(out.Elements, Element{Code: el.Code, Quantity: e.Quantity})
	}
	return canonProduct(out), nil
}

func fileField(f catalog.Field) Field {
	out := Field{Name: f.Name, Type: string(f.Type), Label: f.Label, Help: f.Help, Required: f.Required,
		Pattern: f.Pattern, MinLength: f.MinLength, MaxLength: f.MaxLength}
	for _, o := range f.Options {
		out.Options = append(out.Options, Option{Value: o.Value, Label: o.Label})
	}
	return out
}

// canonProduct gives equal products equal JSON: prices written as Decimal
// writes them ("490" EUR is "490.00"), empty lists and maps rather than nil
// ones (nil optional sub-maps), compact handler parameters ({} when absent),
// and no plain passcode (the caller has hashed it).
func canonProduct(p Product) Product {
	p.Passcode = ""
	if p.Texts == nil {
		p.Texts = map[string]ProductText{}
	}
	prices := make(map[string][]Tier, len(p.Prices))
	for cur, tiers := range p.Prices {
		out := make([]Tier, len(tiers))
		for i, t := range tiers {
			if m, err := money.Parse(t.Unit, cur); err == nil {
				t.Unit = m.Decimal()
			}
			out[i] = t
		}
		prices[cur] = out
	}
	p.Prices = prices
	fields := make([]Field, len(p.RequiredFields))
	for i, f := range p.RequiredFields {
		if len(f.Help) == 0 {
			f.Help = nil
		}
		if f.Label == nil {
			f.Label = map[string]string{}
		}
		if len(f.Options) == 0 {
			f.Options = nil
		} else {
			opts := make([]Option, len(f.Options))
			for j, o := range f.Options {
				if len(o.Label) == 0 {
					o.Label = nil
				}
				opts[j] = o
			}
			f.Options = opts
		}
		fields[i] = f
	}
	p.RequiredFields = fields
	p.HandlerParams = compactJSON(p.HandlerParams)
	if p.Elements == nil {
		p.Elements = []Element{}
	}
	return p
}

// compactJSON returns b without insignificant space, or {} for nothing or
// null. Parameters are stored as given, but their layout is not content: an
// indented export must import to the same bytes.
func compactJSON(b json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil || buf.Len() == 0 || buf.String() == "null" {
		return json.RawMessage(`{}`)
	}
	return buf.Bytes()
}

func (s *state) fileShop(sh *catalog.Shop) (Shop, error) {
	dc, ok := s.catByID[sh.CatalogID]
	if !ok {
		return Shop{}, fmt.Errorf("catalogfile: shop %s: unknown catalogue %d", sh.Code, sh.CatalogID)
	}
	return canonShop(Shop{
		Code: sh.Code, Name: sh.Name, Description: sh.Description, Currency: sh.Currency, Catalog: dc.Code,
		DefaultLocale: sh.DefaultLocale, Terms: sh.Terms, PaymentModes: sh.PaymentModes, GuestPaymentModes: sh.GuestPaymentModes,
		CheckoutSteps: sh.CheckoutSteps, ShowTaxedPrices: sh.ShowTaxedPrices, TestMode: sh.TestMode, TestForEveryone: sh.TestForEveryone,
		SupportCourse: sh.SupportCourseRef, LMSConnector: sh.LMSConnector, MoodleURL: sh.MoodleURL, SortOrder: sh.SortOrder, Enabled: sh.Enabled,
		Seller: Seller(sh.Seller),
	}), nil
}

func canonShop(sh Shop) Shop {
	for _, l := range []*[]string{&sh.PaymentModes, &sh.GuestPaymentModes, &sh.CheckoutSteps} {
		if *l == nil {
			*l = []string{}
		}
	}
	return sh
}

// The functions below build domain objects from canonical file objects;
// references to other objects are resolved by the caller.

func domainTaxClass(tc TaxClass) *catalog.TaxClass {
	out := &catalog.TaxClass{Code: tc.Code, Name: tc.Name}
	for _, r := range tc.Rates {
		out.Rates = append(out.Rates, catalog.TaxRate{Country: r.Country, RateBP: r.RateBP, Name: r.Name})
	}
	return out
}

func domainCatalog(c Catalog) *catalog.Catalog {
	return &catalog.Catalog{Code: c.Code, Name: c.Name, Description: c.Description, Terms: c.Terms, BillFooter: c.BillFooter}
}

func domainCategory(c Category) *catalog.Category {
	out := &catalog.Category{Alias: c.Alias, SortOrder: c.SortOrder, Visible: c.Visible, Texts: catalog.Texts{}}
	for lang, t := range c.Texts {
		out.Texts[lang] = catalog.Text{Name: t.Name, Description: t.Description, SEOTitle: t.SEOTitle, SEODescription: t.SEODescription}
	}
	return out
}

// domainProduct converts p, except its elements (the caller resolves their
// codes). Prices in an unknown currency are left out and prices that do not
// parse are zero: the validator reports both, and zeros keep the other
// tiers' positions for the domain rules.
func domainProduct(p Product) *catalog.Product {
	out := &catalog.Product{
		Code: p.Code, Kind: catalog.Kind(p.Kind), Status: catalog.Status(p.Status), Audience: catalog.Audience(p.Audience),
		MaxQuantity: p.MaxQuantity, PasscodeHash: p.PasscodeHash, SeatMode: catalog.SeatMode(p.SeatMode), Renewable: p.Renewable,
		StockLimit: p.StockLimit, Featured: p.Featured, SortOrder: p.SortOrder,
		Thumbnail: p.Thumbnail, Picture: p.Picture, Leaflet: p.Leaflet,
		Handler: p.Handler, HandlerParams: p.HandlerParams, Texts: catalog.Texts{},
	}
	for lang, t := range p.Texts {
		out.Texts[lang] = catalog.Text(t)
	}
	for _, cur := range slices.Sorted(maps.Keys(p.Prices)) {
		for _, t := range p.Prices[cur] {
			m, err := money.Parse(t.Unit, cur)
			if err != nil {
				if m, err = money.Zero(cur); err != nil {
					break
				}
			}
			out.Prices = append(out.Prices, catalog.Tier{UpTo: t.UpTo, Unit: m})
		}
	}
	for _, f := range p.RequiredFields {
		df := catalog.Field{Name: f.Name, Type: catalog.FieldType(f.Type), Label: f.Label, Help: f.Help, Required: f.Required,
			Pattern: f.Pattern, MinLength: f.MinLength, MaxLength: f.MaxLength}
		for _, o := range f.Options {
			df.Options = append(df.Options, catalog.FieldOption{Value: o.Value, Label: o.Label})
		}
		out.RequiredFields = append(out.RequiredFields, df)
	}
	return out
}

func domainShop(sh Shop) *catalog.Shop {
	return &catalog.Shop{
		Code: sh.Code, Name: sh.Name, Description: sh.Description, Currency: sh.Currency, DefaultLocale: sh.DefaultLocale,
		Terms: sh.Terms, PaymentModes: sh.PaymentModes, GuestPaymentModes: sh.GuestPaymentModes, CheckoutSteps: sh.CheckoutSteps,
		ShowTaxedPrices: sh.ShowTaxedPrices, TestMode: sh.TestMode, TestForEveryone: sh.TestForEveryone,
		SupportCourseRef: sh.SupportCourse, Seller: catalog.Seller(sh.Seller), LMSConnector: sh.LMSConnector,
		MoodleURL: sh.MoodleURL, SortOrder: sh.SortOrder, Enabled: sh.Enabled,
	}
}

// sameJSON reports whether a and b encode alike: canonical file objects
// are equal exactly when their JSON is.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
