package catalogfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/password"
	"courseshop/internal/store"
)

// Outcome says what an import did to the objects of one kind, naming them
// by code ("demo/PM-101" for what lives in a catalogue, the key for media).
type Outcome struct {
	Created, Updated, Unchanged []string
}

func (o *Outcome) record(created, changed bool, name string) {
	switch {
	case created:
		o.Created = append(o.Created, name)
	case changed:
		o.Updated = append(o.Updated, name)
	default:
		o.Unchanged = append(o.Unchanged, name)
	}
}

// Report says what an import did, kind by kind.
type Report struct {
	TaxClasses Outcome
	Catalogs   Outcome
	Categories Outcome
	Products   Outcome
	Shops      Outcome
	Media      Outcome
}

// Changed reports whether the import wrote anything.
func (r *Report) Changed() bool {
	for _, k := range r.kinds() {
		if len(k.out.Created)+len(k.out.Updated) > 0 {
			return true
		}
	}
	return false
}

// kindOutcome is the outcome of one kind, named for people.
type kindOutcome struct {
	kind string
	out  *Outcome
}

func (r *Report) kinds() []kindOutcome {
	return []kindOutcome{
		{"tax classes", &r.TaxClasses}, {"catalogues", &r.Catalogs}, {"categories", &r.Categories},
		{"products", &r.Products}, {"shops", &r.Shops}, {"media", &r.Media},
	}
}

// String summarises the report, one line per kind, naming what was created
// or updated.
func (r *Report) String() string {
	var b strings.Builder
	for _, k := range r.kinds() {
		fmt.Fprintf(&b, "%-12s %d created, %d updated, %d unchanged\n", k.kind+":", len(k.out.Created), len(k.out.Updated), len(k.out.Unchanged))
		if len(k.out.Created) > 0 {
			fmt.Fprintf(&b, "  created: %s\n", strings.Join(k.out.Created, ", "))
		}
		if len(k.out.Updated) > 0 {
			fmt.Fprintf(&b, "  updated: %s\n", strings.Join(k.out.Updated, ", "))
		}
	}
	return b.String()
}

// Handlers knows the production handlers products may name and checks
// their parameters: the production engine's registry is one. Import takes
// it as an option (WithHandlers) so that this package does not depend on
// production.
type Handlers interface {
	// Names returns the names of the handlers that exist.
	Names() []string
	// Validate checks the parameters of the handler called name; the
	// error says what is wrong. An empty name needs no parameters.
	Validate(name string, params json.RawMessage) error
}

// ImportOption changes what Import checks.
type ImportOption func(*options)

type options struct {
	handlers Handlers
}

// WithHandlers makes Import refuse a product whose handler is not one of
// h's or whose parameters h does not validate.
func WithHandlers(h Handlers) ImportOption { return func(o *options) { o.handlers = h } }

// Import reads the catalogue file name from fsys and loads it into st.
// Media paths in the file are relative to its directory in fsys.
//
// The whole file is checked first, against itself and what the database
// holds; if anything is wrong, Import returns a *ValidationError listing
// every problem and changes nothing. Otherwise it writes everything, media
// included, in one transaction: objects are matched on their codes, only
// those that differ from the database are written, and objects the file
// does not mention are left alone, so importing the same file again
// reports everything unchanged. Without WithHandlers, the products'
// handlers and their parameters are stored unchecked.
func Import(ctx context.Context, st *store.Store, fsys fs.FS, name string, opts ...ImportOption) (*Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("catalogfile: %w", err)
	}
	parsed := parse(data)
	f := parsed.file
	if f == nil {
		return nil, &ValidationError{File: name, Problems: parsed.probs}
	}
	// Read outside the transaction: files are not the database's business
	// and the transaction may be retried.
	media := loadMedia(fsys, path.Dir(name), f)

	var rep *Report
	err = st.InTx(ctx, func(tx *store.Store) error {
		s, err := loadState(ctx, tx)
		if err != nil {
			return err
		}
		c := &checker{f: f, st: s, media: media, bad: parsed.bad, handlers: o.handlers}
		c.run()
		if all := append(slices.Clip(parsed.probs), c.probs...); len(all) > 0 {
			parsed.sortProblems(all)
			return &ValidationError{File: name, Problems: all}
		}
		im := &importer{tx: tx, st: s, media: media, rep: &Report{},
			taxIDs: map[string]int64{}, catalogIDs: map[string]int64{}}
		if err := im.run(ctx, f); err != nil {
			return err
		}
		rep = im.rep
		if rep.Changed() {
			// Every node's cached catalogue and pages go stale now.
			return tx.BumpCatalogVersion(ctx)
		}
		return nil
	})
	if err != nil {
		if _, ok := errors.AsType[*ValidationError](err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("catalogfile: import %s: %w", name, err)
	}
	return rep, nil
}

// importer writes a validated file: it compares each object in its
// canonical file form with the database's, and upserts those that differ.
type importer struct {
	tx         *store.Store
	st         *state
	media      map[string]*mediaFile
	rep        *Report
	taxIDs     map[string]int64
	catalogIDs map[string]int64
}

func (im *importer) run(ctx context.Context, f *File) error {
	if err := im.putMedia(ctx, f); err != nil {
		return err
	}
	for code, tc := range im.st.taxClasses {
		im.taxIDs[code] = tc.ID
	}
	for _, tc := range f.TaxClasses {
		want := canonTaxClass(tc)
		old := im.st.taxClasses[tc.Code]
		changed := old == nil || !sameJSON(want, fileTaxClass(old))
		if changed {
			d := domainTaxClass(want)
			if err := im.tx.UpsertTaxClass(ctx, d); err != nil {
				return err
			}
			im.taxIDs[tc.Code] = d.ID
		}
		im.rep.TaxClasses.record(old == nil, changed, tc.Code)
	}
	for code, dc := range im.st.catalogs {
		im.catalogIDs[code] = dc.ID
	}
	for _, cat := range f.Catalogs {
		if err := im.catalog(ctx, cat); err != nil {
			return err
		}
	}
	for _, sh := range f.Shops {
		want := canonShop(sh)
		old := im.st.shops[sh.Code]
		changed := old == nil
		if old != nil {
			have, err := im.st.fileShop(old)
			if err != nil {
				return err
			}
			changed = !sameJSON(want, have)
		}
		if changed {
			d := domainShop(want)
			d.CatalogID = im.catalogIDs[sh.Catalog]
			if err := im.tx.UpsertShop(ctx, d); err != nil {
				return err
			}
		}
		im.rep.Shops.record(old == nil, changed, sh.Code)
	}
	return nil
}

// putMedia stores the files the products refer to, once per key.
func (im *importer) putMedia(ctx context.Context, f *File) error {
	seen := map[string]bool{}
	for _, c := range f.Catalogs {
		for _, p := range c.Products {
			for _, ref := range []string{p.Thumbnail, p.Picture, p.Leaflet} {
				m := im.media[ref]
				if m == nil || seen[m.key] {
					continue
				}
				seen[m.key] = true
				_, err := im.tx.Media(ctx, m.key)
				exists := err == nil
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if !exists {
					if _, err := im.tx.PutMedia(ctx, path.Base(ref), m.contentType, m.body); err != nil {
						return err
					}
				}
				im.rep.Media.record(!exists, false, m.key)
			}
		}
	}
	return nil
}

func (im *importer) catalog(ctx context.Context, cat Catalog) error {
	old := im.st.catalogs[cat.Code]
	want := fileCatalog(domainCatalog(cat))
	changed := old == nil || !sameJSON(want, fileCatalog(old.Catalog))
	if changed {
		d := domainCatalog(cat)
		if err := im.tx.UpsertCatalog(ctx, d); err != nil {
			return err
		}
		im.catalogIDs[cat.Code] = d.ID
	}
	im.rep.Catalogs.record(old == nil, changed, cat.Code)
	catalogID := im.catalogIDs[cat.Code]
	if old == nil {
		// A new catalogue has nothing in the database to compare with.
		old = &dbCatalog{Catalog: &catalog.Catalog{ID: catalogID, Code: cat.Code}, categories: map[string]*catalog.Category{},
			categoryByID: map[int64]*catalog.Category{}, products: map[string]*catalog.Product{}, productByID: map[int64]*catalog.Product{}}
	}

	categoryIDs := map[string]int64{}
	for alias, x := range old.categories {
		categoryIDs[alias] = x.ID
	}
	byAlias := map[string]Category{}
	for _, x := range cat.Categories {
		byAlias[x.Alias] = x
	}
	done := map[string]bool{}
	// Parents are written before their children; validation ruled out
	// cycles.
	var visit func(alias string) error
	visit = func(alias string) error {
		if done[alias] {
			return nil
		}
		done[alias] = true
		x := byAlias[alias]
		if _, ok := byAlias[x.Parent]; ok {
			if err := visit(x.Parent); err != nil {
				return err
			}
		}
		want := canonCategory(x)
		prev := old.categories[alias]
		changed := prev == nil
		if prev != nil {
			have, err := im.st.fileCategory(old, prev)
			if err != nil {
				return err
			}
			changed = !sameJSON(want, have)
		}
		if changed {
			d := domainCategory(want)
			d.CatalogID, d.ParentID = catalogID, categoryIDs[x.Parent]
			if err := im.tx.UpsertCategory(ctx, d); err != nil {
				return err
			}
			categoryIDs[alias] = d.ID
		}
		im.rep.Categories.record(prev == nil, changed, cat.Code+"/"+alias)
		return nil
	}
	for _, x := range cat.Categories {
		if err := visit(x.Alias); err != nil {
			return err
		}
	}

	productIDs := map[string]int64{}
	for code, p := range old.products {
		productIDs[code] = p.ID
	}
	// Plain products first: sets and bundles refer to them by ID.
	ordered := slices.Clone(cat.Products)
	slices.SortStableFunc(ordered, func(a, b Product) int {
		return boolInt(a.Kind != string(catalog.KindProduct)) - boolInt(b.Kind != string(catalog.KindProduct))
	})
	for _, p := range ordered {
		prev := old.products[p.Code]
		want, err := im.wantProduct(p, prev)
		if err != nil {
			return err
		}
		changed := prev == nil
		if prev != nil {
			have, err := im.st.fileProduct(old, prev)
			if err != nil {
				return err
			}
			changed = !sameJSON(want, have)
		}
		if changed {
			d := domainProduct(want)
			d.CatalogID, d.CategoryID, d.TaxClassID = catalogID, categoryIDs[want.Category], im.taxIDs[want.TaxClass]
			for _, e := range want.Elements {
				d.Elements = append(d.Elements, catalog.Element{ProductID: productIDs[e.Code], Quantity: e.Quantity})
			}
			if err := im.tx.UpsertProduct(ctx, d); err != nil {
				return err
			}
			productIDs[p.Code] = d.ID
		}
		im.rep.Products.record(prev == nil, changed, cat.Code+"/"+p.Code)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// wantProduct returns p as the database should hold it, in canonical file
// form: media as "/media/{key}" and the passcode hashed, reusing the
// current hash when it matches (a fresh salt would make every import an
// update).
func (im *importer) wantProduct(p Product, prev *catalog.Product) (Product, error) {
	for _, ref := range []*string{&p.Thumbnail, &p.Picture, &p.Leaflet} {
		if m := im.media[*ref]; m != nil {
			*ref = mediaPrefix + m.key
		}
	}
	if p.Passcode != "" {
		if prev != nil && prev.PasscodeHash != "" {
			if ok, _ := password.Verify(p.Passcode, prev.PasscodeHash); ok {
				p.PasscodeHash = prev.PasscodeHash
			}
		}
		if p.PasscodeHash == "" {
			h, err := password.Hash(p.Passcode, password.Default())
			if err != nil {
				return p, err
			}
			p.PasscodeHash = h
		}
	}
	return canonProduct(p), nil
}
