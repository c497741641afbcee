package catalogfile_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"courseshop/internal/catalog"
	"courseshop/internal/catalogfile"
	"courseshop/internal/money"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

type newStoreFunc = func(testing.TB, ...testkit.Option) *store.Store

// rich is the fixture every test starts from: nested categories, a set, a
// bundle, tiers in several currencies, required fields of every type, a
// passcode, media files (two of the same name) and three shops.
func rich() fs.FS { return os.DirFS("testdata/rich") }

func mustImport(t *testing.T, st *store.Store, fsys fs.FS, name string) *catalogfile.Report {
	t.Helper()
	rep, err := catalogfile.Import(context.Background(), st, fsys, name)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return rep
}

func counts(o catalogfile.Outcome) [3]int {
	return [3]int{len(o.Created), len(o.Updated), len(o.Unchanged)}
}

func reportCounts(r *catalogfile.Report) map[string][3]int {
	return map[string][3]int{
		"tax classes": counts(r.TaxClasses), "catalogues": counts(r.Catalogs), "categories": counts(r.Categories),
		"products": counts(r.Products), "shops": counts(r.Shops), "media": counts(r.Media),
	}
}

// richUnchanged is the report of importing the fixture a second time.
var richUnchanged = map[string][3]int{
	"tax classes": {0, 0, 3}, "catalogues": {0, 0, 2}, "categories": {0, 0, 4},
	"products": {0, 0, 7}, "shops": {0, 0, 3}, "media": {0, 0, 4},
}

func TestRoundTrip(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		first := newStore(t)
		rep := mustImport(t, first, rich(), "catalog.json")
		want := map[string][3]int{
			"tax classes": {3, 0, 0}, "catalogues": {2, 0, 0}, "categories": {4, 0, 0},
			"products": {7, 0, 0}, "shops": {3, 0, 0}, "media": {4, 0, 0},
		}
		if diff := cmp.Diff(want, reportCounts(rep)); diff != "" {
			t.Errorf("first import (-want +got):\n%s\n%s", diff, rep)
		}
		// Importing again changes nothing, and says so.
		again := mustImport(t, first, rich(), "catalog.json")
		if diff := cmp.Diff(richUnchanged, reportCounts(again)); diff != "" || again.Changed() {
			t.Errorf("second import must change nothing (-want +got):\n%s\n%s", diff, again)
		}
		checkImported(t, first)

		dir1 := filepath.Join(t.TempDir(), "one")
		if err := catalogfile.Export(ctx, first, dir1); err != nil {
			t.Fatal(err)
		}
		// The export is what the database holds: importing it back
		// changes nothing either.
		if back := mustImport(t, first, os.DirFS(dir1), "catalog.json"); back.Changed() {
			t.Errorf("importing the export into its own database changed things:\n%s", back)
		}

		second := newStore(t)
		if rep := mustImport(t, second, os.DirFS(dir1), "catalog.json"); !cmp.Equal(want, reportCounts(rep)) {
			t.Errorf("import of the export into an empty database:\n%s", rep)
		}
		dir2 := filepath.Join(t.TempDir(), "two")
		if err := catalogfile.Export(ctx, second, dir2); err != nil {
			t.Fatal(err)
		}
		tree := readTree(t, dir1)
		var names []string
		for name := range tree {
			if name != "catalog.json" {
				names = append(names, strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == '/' })[1:], "/"))
			}
		}
		slices.Sort(names)
		if len(names) != 4 || names[0] != "Leaflet-PM-101.pdf" || names[3] != "pm-101.png" || !strings.HasSuffix(names[1], "/pm-101.svg") || len(names[1]) != 16+len("/pm-101.svg") {
			t.Errorf("media exported as %q; two files named pm-101.svg go under their hashes", names)
		}
		exported := tree["catalog.json"]
		for _, want := range []string{`"passcode_hash": "$argon2id$`, `"moodle_url": "https://lms.partners.example"`, `"unit": "465.50"`, `"picture": "media/pm-101.png"`, `"leaflet": "media/Leaflet-PM-101.pdf"`, "Terms of sale <b>apply</b>."} {
			if !strings.Contains(exported, want) {
				t.Errorf("export lacks %s", want)
			}
		}
		if strings.Contains(exported, `"passcode":`) {
			t.Error("export holds a plain passcode")
		}
		if diff := cmp.Diff(tree, readTree(t, dir2)); diff != "" {
			t.Errorf("exports differ (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(snapshotOf(t, first), snapshotOf(t, second), snapshotOpts); diff != "" {
			t.Errorf("databases differ (-first +second):\n%s", diff)
		}
	})
}

// checkImported spot-checks what the fixture must have become.
func checkImported(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	demo, err := st.CatalogByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	cats, err := st.Categories(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	byAlias := map[string]*catalog.Category{}
	byID := map[int64]*catalog.Category{}
	for _, c := range cats {
		byAlias[c.Alias], byID[c.ID] = c, c
	}
	if p := byID[byAlias["scrum"].ParentID]; p == nil || p.Alias != "agile" || byID[p.ParentID].Alias != "management" {
		t.Errorf("scrum is not under agile under management")
	}
	ps, err := st.Products(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]*catalog.Product{}
	for _, p := range ps {
		byCode[p.Code] = p
	}
	pm := byCode["PM-101"]
	if ok, err := password.Verify("open sesame", pm.PasscodeHash); !ok || err != nil {
		t.Errorf("passcode not hashed: %q, %v", pm.PasscodeHash, err)
	}
	if !strings.HasPrefix(pm.Leaflet, "/media/") || !strings.HasSuffix(pm.Leaflet, "/Leaflet-PM-101.pdf") {
		t.Errorf("leaflet = %q, want /media/{hash}/Leaflet-PM-101.pdf", pm.Leaflet)
	}
	m, err := st.Media(ctx, strings.TrimPrefix(pm.Leaflet, "/media/"))
	if err != nil || m.ContentType != "application/pdf" {
		t.Errorf("leaflet media: %+v, %v", m, err)
	}
	if got := string(pm.HandlerParams); got != `{"course_idnumber":"pm-101","role":"student","group":"autumn","duration_days":30}` {
		t.Errorf("handler params stored as %s, want compact and in the given order", got)
	}
	if len(pm.RequiredFields) != 4 || pm.RequiredFields[3].Options[0].Label["fr"] != "Débutant" {
		t.Errorf("required fields = %+v", pm.RequiredFields)
	}
	if u, err := pm.UnitPrice("EUR", 7); err != nil || u.Decimal() != "465.50" {
		t.Errorf("EUR price for 7 = %v, %v", u, err)
	}
	if u, err := pm.UnitPrice("JPY", 1); err != nil || u.Amount() != 49000 {
		t.Errorf("JPY price = %v, %v", u, err)
	}
	pack := byCode["PACK-PM"]
	if diff := cmp.Diff([]catalog.Element{{ProductID: pm.ID, Quantity: 2}, {ProductID: byCode["SCRUM-110"].ID, Quantity: 1}}, pack.Elements); diff != "" {
		t.Errorf("bundle elements (-want +got):\n%s", diff)
	}
	if set := byCode["SET-MGMT"]; len(set.Prices) != 0 || set.Picture != "https://cdn.example.com/sets/mgmt.jpg" || string(set.HandlerParams) != "{}" {
		t.Errorf("set = %+v", set)
	}
	shops, err := st.AllShops(ctx)
	if err != nil || len(shops) != 3 || shops[0].Code != "archive" || shops[0].Enabled {
		t.Errorf("AllShops = %v, %v", shops, err)
	}
}

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshot is a database's catalogue with IDs replaced by the codes they
// stand for, so that two databases filled in different orders compare.
type snapshot struct {
	TaxClasses []*catalog.TaxClass
	Catalogs   []catalogSnap
	Shops      []shopSnap
	Media      []*store.Media
}

type catalogSnap struct {
	Catalog    *catalog.Catalog
	Categories map[string]categorySnap
	Products   map[string]productSnap
}

type categorySnap struct {
	Category *catalog.Category
	Parent   string
}

type productSnap struct {
	Product            *catalog.Product
	Category, TaxClass string
	Elements           []string
}

type shopSnap struct {
	Shop    *catalog.Shop
	Catalog string
}

var snapshotOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b money.Money) bool { return a.Equal(b) }),
	cmpopts.IgnoreFields(catalog.TaxClass{}, "ID"),
	cmpopts.IgnoreFields(catalog.Catalog{}, "ID", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(catalog.Category{}, "ID", "CatalogID", "ParentID", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(catalog.Product{}, "ID", "CatalogID", "CategoryID", "TaxClassID", "Elements", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(catalog.Shop{}, "ID", "CatalogID", "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(store.Media{}, "CreatedAt"),
}

func snapshotOf(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	if s.TaxClasses, err = st.TaxClasses(ctx); err != nil {
		t.Fatal(err)
	}
	taxCode := map[int64]string{}
	for _, tc := range s.TaxClasses {
		taxCode[tc.ID] = tc.Code
	}
	cs, err := st.Catalogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	catCode := map[int64]string{}
	mediaKeys := map[string]bool{}
	for _, c := range cs {
		catCode[c.ID] = c.Code
		snap := catalogSnap{Catalog: c, Categories: map[string]categorySnap{}, Products: map[string]productSnap{}}
		cats, err := st.Categories(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		alias := map[int64]string{}
		for _, x := range cats {
			alias[x.ID] = x.Alias
		}
		for _, x := range cats {
			snap.Categories[x.Alias] = categorySnap{Category: x, Parent: alias[x.ParentID]}
		}
		ps, err := st.Products(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		code := map[int64]string{}
		for _, p := range ps {
			code[p.ID] = p.Code
		}
		for _, p := range ps {
			ps := productSnap{Product: p, Category: alias[p.CategoryID], TaxClass: taxCode[p.TaxClassID]}
			for _, e := range p.Elements {
				ps.Elements = append(ps.Elements, fmt.Sprintf("%s×%d", code[e.ProductID], e.Quantity))
			}
			snap.Products[p.Code] = ps
			for _, ref := range []string{p.Thumbnail, p.Picture, p.Leaflet} {
				if key, ok := strings.CutPrefix(ref, "/media/"); ok {
					mediaKeys[key] = true
				}
			}
		}
		s.Catalogs = append(s.Catalogs, snap)
	}
	shops, err := st.AllShops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shops {
		s.Shops = append(s.Shops, shopSnap{Shop: sh, Catalog: catCode[sh.CatalogID]})
	}
	for _, key := range slices.Sorted(maps.Keys(mediaKeys)) {
		m, err := st.Media(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		s.Media = append(s.Media, m)
	}
	return s
}

// mapFS returns the fixture as an in-memory file system whose catalog.json
// went through edit, so tests can vary it.
func mapFS(t *testing.T, edit func(string) string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(rich(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(rich(), path)
		if path == "catalog.json" {
			b = []byte(edit(string(b)))
		}
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// replace replaces old, which must occur exactly once, by new.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the fixture", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

func TestImportUpdates(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		st := newStore(t, testkit.WithClock(func() time.Time { return now }))
		mustImport(t, st, rich(), "catalog.json")
		before := snapshotOf(t, st)
		version := func() int64 {
			t.Helper()
			v, err := st.CatalogVersion(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v1 := version()
		mustImport(t, st, rich(), "catalog.json")
		if version() != v1 {
			t.Error("an import that changed nothing bumped the catalogue version")
		}

		now = now.Add(time.Hour)
		edited := mapFS(t, func(s string) string {
			s = replace(t, s, `{"up_to": 9, "unit": "465.5"}`, `{"up_to": 9, "unit": "455.00"}`)
			s = replace(t, s, `"name": "Boutique suisse"`, `"name": "Boutique de Suisse"`)
			s = replace(t, s, `{"en": {"name": "Agile methods"}, "fr": {"name": "Méthodes agiles"}}`, `{"en": {"name": "Agile"}, "fr": {"name": "Agilité"}}`)
			// The same passcode, written again: still unchanged.
			return s
		})
		rep := mustImport(t, st, edited, "catalog.json")
		if version() != v1+1 {
			t.Error("an import that changed the catalogue did not bump its version: cached pages would stay stale")
		}
		if !slices.Equal(rep.Products.Updated, []string{"demo/PM-101"}) || !slices.Equal(rep.Shops.Updated, []string{"suisse"}) ||
			!slices.Equal(rep.Categories.Updated, []string{"demo/agile"}) || len(rep.TaxClasses.Updated)+len(rep.Catalogs.Updated) != 0 {
			t.Errorf("report:\n%s", rep)
		}
		after := snapshotOf(t, st)
		pm := after.Catalogs[0].Products["PM-101"].Product
		if u, _ := pm.UnitPrice("EUR", 7); u.Decimal() != "455.00" || !pm.UpdatedAt.Equal(now) || pm.CreatedAt.Equal(now) {
			t.Errorf("PM-101 after update: %v, created %v, updated %v", pm.Prices, pm.CreatedAt, pm.UpdatedAt)
		}
		if pm.PasscodeHash != before.Catalogs[0].Products["PM-101"].Product.PasscodeHash {
			t.Error("an unchanged passcode was hashed again")
		}
		if lead := after.Catalogs[0].Products["LEAD-201"].Product; !lead.UpdatedAt.Before(now) {
			t.Errorf("an unchanged product was rewritten at %v", lead.UpdatedAt)
		}

		// A file holding only part of the catalogue leaves the rest alone,
		// and may refer to what the database holds.
		partial := fstest.MapFS{"c.json": {Data: []byte(`{"format": "courseshop-catalog", "version": 1,
			"catalogs": [{"code": "demo", "name": "Demo catalogue, renamed", "description": "", "terms": "", "bill_footer": "",
			  "categories": [],
			  "products": [{"code": "NEW-1", "kind": "product", "category": "agile", "status": "available", "audience": "everyone",
			    "tax_class": "standard", "seat_mode": "none", "texts": {"en": {"name": "New"}, "fr": {"name": "Nouveau"}},
			    "prices": {"EUR": [{"up_to": 0, "unit": "10.00"}], "CHF": [{"up_to": 0, "unit": "11.00"}]}},
			   {"code": "BUNDLE-2", "kind": "bundle", "status": "available", "audience": "everyone", "seat_mode": "none",
			    "texts": {"en": {"name": "B"}, "fr": {"name": "B"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}], "CHF": [{"up_to": 0, "unit": "1"}]},
			    "elements": [{"code": "LEAD-201", "quantity": 1}, {"code": "NEW-1", "quantity": 3}]}]}]}`)}}
		rep = mustImport(t, st, partial, "c.json")
		if !slices.Equal(rep.Products.Created, []string{"demo/NEW-1", "demo/BUNDLE-2"}) || !slices.Equal(rep.Catalogs.Updated, []string{"demo"}) {
			t.Errorf("partial import report:\n%s", rep)
		}
		final := snapshotOf(t, st)
		if len(final.Catalogs[0].Products) != 8 || len(final.Catalogs[0].Categories) != 4 || len(final.Shops) != 3 {
			t.Errorf("objects absent from the file were touched: %d products, %d categories", len(final.Catalogs[0].Products), len(final.Catalogs[0].Categories))
		}
		if got := final.Catalogs[0].Products["BUNDLE-2"].Elements; !slices.Equal(got, []string{"LEAD-201×1", "NEW-1×3"}) {
			t.Errorf("bundle elements = %v", got)
		}
		if diff := cmp.Diff(after.Catalogs[0].Products["PM-101"], final.Catalogs[0].Products["PM-101"], snapshotOpts); diff != "" {
			t.Errorf("PM-101 changed by a file that does not mention it:\n%s", diff)
		}
	})
}

func TestExportEmptyDatabase(t *testing.T) {
	st := testkit.NewStore(t)
	dir := t.TempDir()
	if err := catalogfile.Export(context.Background(), st, dir); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	want := "{\n  \"format\": \"courseshop-catalog\",\n  \"version\": 1,\n  \"tax_classes\": [],\n  \"catalogs\": [],\n  \"shops\": []\n}\n"
	if diff := cmp.Diff(map[string]string{"catalog.json": want}, got); diff != "" {
		t.Errorf("empty export (-want +got):\n%s", diff)
	}
	// And an empty file imports as nothing.
	rep := mustImport(t, st, fstest.MapFS{"e.json": {Data: []byte(want)}}, "e.json")
	if rep.Changed() || !bytes.Contains([]byte(rep.String()), []byte("products:    0 created")) {
		t.Errorf("empty import:\n%s", rep)
	}
}
