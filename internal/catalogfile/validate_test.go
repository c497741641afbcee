package catalogfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"courseshop/internal/catalogfile"
	"courseshop/internal/password"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// want is a problem a test expects: its exact path and part of its message.
type want struct{ path, msg string }

// checkProblems fails unless the problems are exactly those wanted, in any
// order: every mistake reported, and nothing else.
func checkProblems(t *testing.T, err error, wants []want) *catalogfile.ValidationError {
	t.Helper()
	verr, ok := errors.AsType[*catalogfile.ValidationError](err)
	if !ok {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	left := append([]want(nil), wants...)
	var extra []string
	for _, p := range verr.Problems {
		found := false
		for i, w := range left {
			if p.Path == w.path && strings.Contains(p.Msg, w.msg) {
				left = append(left[:i], left[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			extra = append(extra, p.Path+": "+p.Msg)
		}
	}
	for _, w := range left {
		t.Errorf("not reported: %s: …%s…", w.path, w.msg)
	}
	for _, e := range extra {
		t.Errorf("unexpected problem: %s", e)
	}
	if t.Failed() {
		t.Logf("all problems:\n%s", verr)
	}
	return verr
}

func exportTree(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if err := catalogfile.Export(context.Background(), st, dir); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dir)
}

func TestBrokenFile(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		st := newStore(t)
		mustImport(t, st, rich(), "catalog.json")
		before := exportTree(t, st)

		_, err := catalogfile.Import(context.Background(), st, os.DirFS("testdata/broken"), "catalog.json")
		const p = "catalogs[shop2].products"
		verr := checkProblems(t, err, []want{
			{"", `unknown key "colour"`},
			{"tax_classes[vat].rates[FRA].country", "ISO 3166-1 alpha-2"},
			{"tax_classes[vat].rates[*].rate_bp", "must be a whole number, not a string"},
			{"catalogs[shop2].categories[a].parent", "makes a cycle: a → b → a"},
			{"catalogs[shop2].categories[b].parent", "makes a cycle: b → a → b"},
			{"catalogs[shop2].categories[Bad Alias].alias", "among a-z 0-9 -"},
			{"catalogs[shop2].categories[Bad Alias].parent", `unknown category "nowhere"`},
			{"catalogs[shop2].categories[Bad Alias].visible", "must be true or false, not a string"},
			{p + "[1].code", `duplicate product "DUP"`},
			{p + "[TIERS].max_quantity", "must be a whole number, not a string"},
			{p + "[TIERS].prices.EUR[1].up_to", "must be greater than the previous tier's 10"},
			{p + "[TIERS].prices.EUR[1].unit", `exact amount in EUR with at most 2 decimals, such as "490.00" (got "4,90")`},
			{p + "[TIERS].prices.EURO", "currency must be an ISO 4217"},
			{p + "[TIERS].tax_class", `unknown tax class "nosuch"`},
			{p + "[BUNDLE-A].elements[BUNDLE-B].code", "BUNDLE-B is a bundle; an element must be a plain product"},
			{p + "[BUNDLE-A].elements[GHOST].code", `unknown product "GHOST" in catalogue shop2`},
			{p + "[BUNDLE-A].elements[TIERS].quantity", "must be at least 1"},
			{p + "[FIELDS].required_fields[code].pattern", "does not compile"},
			{p + "[FIELDS].required_fields[pick].options", "a select field needs options"},
			{p + "[FIELDS].passcode", "not both"},
			{p + "[MEDIA]", `unknown key "prise" (did you mean "prices"?)`},
			{p + "[MEDIA].thumbnail", "file media/missing.svg not found"},
			{p + "[MEDIA].picture", "https:// URL"},
			{p + "[MEDIA].leaflet", "a leaflet must be a PDF file (media/pic.png is image/png)"},
			{p + "[SET].prices", "a set has no price of its own"},
			{p + "[SET].handler", "a set has no handler"},
			{p + "[SET].elements", "a set needs at least one element"},
			{p + "[SET].thumbnail", "media/fake.png is not a PNG file"},
			{"shops[shop2].name", "duplicate key"},
			{"shops[shop2].guest_payment_modes[1]", `"card" is not among payment_modes`},
			{"shops[gbp].currency", "product FR.A1_x of catalogue demo, already in the database, has no price in GBP"},
			{"shops[gbp].currency", "product LEAD-201 of catalogue demo, already in the database, has no price in GBP"},
			{"shops[gbp].currency", "product PACK-PM of catalogue demo, already in the database, has no price in GBP"},
			{"shops[gbp].currency", "product PM-101 of catalogue demo, already in the database, has no price in GBP"},
			{"shops[gbp].currency", "product SCRUM-110 of catalogue demo, already in the database, has no price in GBP"},
			{"shops[Bad Shop].code", "among a-z 0-9 -"},
			{"shops[Bad Shop].currency", "ISO 4217"},
			{"shops[Bad Shop].catalog", `unknown catalogue "nosuch"`},
		})
		// Lines name the file, then the path.
		if !slices.Contains(verr.Lines(), `catalog.json: `+p+`[TIERS].prices.EUR[1].unit: must be an exact amount in EUR with at most 2 decimals, such as "490.00" (got "4,90")`) {
			t.Errorf("no line in the documented form FILE: PATH: must be …:\n%s", verr)
		}
		if diff := cmp.Diff(before, exportTree(t, st)); diff != "" {
			t.Errorf("a rejected import changed the database (-before +after):\n%s", diff)
		}
	})
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line, col  int
		msg        string
	}{
		{"missing comma", "{\n  \"format\": \"courseshop-catalog\"\n  \"version\": 1\n}", 3, 3, "after object key:value pair"},
		{"trailing comma", "{\"format\": \"x\",\n}", 2, 1, "looking for beginning of object key string"},
		{"truncated", "{\"format\": ", 1, 11, "unexpected end of JSON input"},
		{"two documents", "{}\n{}", 2, 1, "after top-level value"},
		{"accented line", "{\"name\": \"é\", x}", 1, 15, "invalid character 'x'"},
		{"not UTF-8", "{\n\"name\": \"\xff\"}", 2, 10, "not UTF-8"},
		{"empty", "", 1, 1, "unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := testkit.NewStore(t)
			_, err := catalogfile.Import(context.Background(), st, fstest.MapFS{"x.json": {Data: []byte(tc.data)}}, "x.json")
			verr, ok := errors.AsType[*catalogfile.ValidationError](err)
			if !ok || len(verr.Problems) != 1 {
				t.Fatalf("err = %v, want one syntax problem", err)
			}
			p := verr.Problems[0]
			if p.Line != tc.line || p.Column != tc.col || !strings.Contains(p.Msg, tc.msg) {
				t.Errorf("problem = %d:%d %q, want %d:%d …%s…", p.Line, p.Column, p.Msg, tc.line, tc.col, tc.msg)
			}
			if line := verr.Lines()[0]; !strings.HasPrefix(line, "x.json:") {
				t.Errorf("line = %q", line)
			}
		})
	}
}

func TestStructuralProblems(t *testing.T) {
	head := `"format": "courseshop-catalog", "version": 1, `
	for _, tc := range []struct {
		name, data string
		wants      []want
	}{
		{"wrong format and version", `{"format": "shop", "version": 2}`,
			[]want{{"format", `must be "courseshop-catalog"`}, {"version", "this courseshop reads version 1 files (got 2)"}}},
		{"version not a number", `{"format": "courseshop-catalog", "version": "1"}`,
			[]want{{"version", "must be a whole number, not a string"}}},
		{"fraction", `{` + head + `"tax_classes": [{"code": "t", "name": "T", "rates": [{"country": "FR", "rate_bp": 19.6}]}]}`,
			[]want{{"tax_classes[t].rates[FR].rate_bp", "must be a whole number (got 19.6)"}}},
		{"list expected", `{` + head + `"shops": {"code": "x"}}`,
			[]want{{"shops", "must be a list, not an object"}}},
		{"object expected", `{` + head + `"catalogs": ["demo"]}`,
			[]want{{"catalogs[0]", "must be an object, not a string"}}},
		{"case matters", `{` + head + `"Shops": []}`,
			[]want{{"", `unknown key "Shops" (did you mean "shops"?)`}}},
		{"null list is empty", `{` + head + `"shops": null, "catalogs": null, "tax_classes": null}`, nil},
		{"odd map key", `{` + head + `"catalogs": [{"code": "c", "name": "C", "categories": [{"alias": "x", "texts": {"e n": {"nom": "X"}}}]}]}`,
			[]want{{`catalogs[c].categories[x].texts["e n"]`, `unknown key "nom" (did you mean "name"?)`},
				{`catalogs[c].categories[x].texts["e n"]`, `language must be en or fr (got "e n")`},
				{`catalogs[c].categories[x].texts["e n"].name`, "is required"}}},
		{"handler params", `{` + head + `"catalogs": [{"code": "c", "name": "C", "products": [{"code": "P", "kind": "product", "status": "available",
			"audience": "everyone", "seat_mode": "none", "texts": {"en": {"name": "P"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]},
			"handler_params": ["course"]}]}]}`,
			[]want{{"catalogs[c].products[P].handler_params", "must be a JSON object"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := testkit.NewStore(t)
			_, err := catalogfile.Import(context.Background(), st, fstest.MapFS{"x.json": {Data: []byte(tc.data)}}, "x.json")
			if tc.wants == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			checkProblems(t, err, tc.wants)
		})
	}
	// Parse alone reports the same structural problems.
	if _, err := catalogfile.Parse("p.json", []byte(`{"format": "courseshop-catalog", "version": 1, "extra": 1}`)); err == nil ||
		err.Error() != `p.json: unknown key "extra"` {
		t.Errorf("Parse: %v", err)
	}
}

// TestRulesAgainstDatabase checks the rules that look at what the database
// already holds.
func TestRulesAgainstDatabase(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		st := newStore(t)
		mustImport(t, st, rich(), "catalog.json")
		head := `{"format": "courseshop-catalog", "version": 1, `
		product := func(code, kind, extra string) string {
			return `{"code": "` + code + `", "kind": "` + kind + `", "status": "available", "audience": "everyone", "seat_mode": "none",
			  "texts": {"en": {"name": "N"}, "fr": {"name": "N"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}], "CHF": [{"up_to": 0, "unit": "1"}]}` + extra + `}`
		}
		for _, tc := range []struct {
			name, data string
			wants      []want
		}{
			{"refers to the database", head + `"catalogs": [{"code": "demo", "name": "Demo", "products": [` +
				product("X", "bundle", `, "category": "scrum", "tax_class": "books", "elements": [{"code": "LEAD-201", "quantity": 1}]`) + `]}]}`, nil},
			{"cycle through the database", head + `"catalogs": [{"code": "demo", "name": "Demo", "categories": [
				{"alias": "management", "parent": "scrum", "visible": true, "texts": {"en": {"name": "M"}, "fr": {"name": "M"}}}]}]}`,
				[]want{{"catalogs[demo].categories[management].parent", "makes a cycle: management → scrum → agile → management"}}},
			{"element becomes a bundle", head + `"catalogs": [{"code": "demo", "name": "Demo", "products": [` +
				product("SCRUM-110", "bundle", `, "elements": [{"code": "LEAD-201", "quantity": 1}]`) + `]}]}`,
				[]want{{"catalogs[demo].products[SCRUM-110].kind", "it is an element of bundle PACK-PM, already in the database"}}},
			{"new product lacks what shops need", head + `"catalogs": [{"code": "demo", "name": "Demo", "products": [
				{"code": "Y", "kind": "product", "status": "available", "audience": "everyone", "seat_mode": "none",
				 "texts": {"en": {"name": "Y"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]}}]}]}`,
				[]want{{"catalogs[demo].products[Y].prices", "no price in CHF, needed by shop suisse, which sells catalogue demo"},
					{"catalogs[demo].products[Y].texts", "no name in fr, needed by shop suisse"}}},
			{"new shop needs names", head + `"shops": [{"code": "fr", "name": "FR", "currency": "EUR", "catalog": "partners", "default_locale": "fr", "lms_connector": "local"}]}`,
				[]want{{"shops[fr].default_locale", "product P-1 of catalogue partners, already in the database, has no name in fr"},
					{"shops[fr].currency", "product P-1 of catalogue partners, already in the database, has no price in EUR"}}},
			{"passcode hash shape", head + `"catalogs": [{"code": "demo", "name": "Demo", "products": [` +
				product("H1", "product", `, "passcode_hash": "$argon2id$v=19$m=1900000000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"`) + `,` +
				product("H2", "product", `, "passcode_hash": "secret"`) + `,` +
				product("H3", "product", `, "passcode_hash": "`+cheapHash(t)+`"`) + `]}]}`,
				[]want{{"catalogs[demo].products[H1].passcode_hash", "is not an argon2id hash"},
					{"catalogs[demo].products[H2].passcode_hash", "is not an argon2id hash"}}},
			{"unknown references", head + `"catalogs": [{"code": "demo", "name": "Demo", "products": [` +
				product("Z", "product", `, "category": "nope", "tax_class": "nope"`) + `]}]}`,
				[]want{{"catalogs[demo].products[Z].category", `unknown category "nope" in catalogue demo`},
					{"catalogs[demo].products[Z].tax_class", `unknown tax class "nope"`}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := catalogfile.Import(context.Background(), st, fstest.MapFS{"x.json": {Data: []byte(tc.data)}}, "x.json")
				if tc.wants == nil {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					return
				}
				checkProblems(t, err, tc.wants)
			})
		}
	})
}

func cheapHash(t *testing.T) string {
	t.Helper()
	h, err := password.Hash("pass", password.Cheap())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMediaRules(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)
	doc := func(thumb, leaflet string) []byte {
		return []byte(`{"format": "courseshop-catalog", "version": 1, "catalogs": [{"code": "c", "name": "C", "products": [
			{"code": "P", "kind": "product", "status": "available", "audience": "everyone", "seat_mode": "none",
			 "texts": {"en": {"name": "P"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]},
			 "thumbnail": "` + thumb + `", "leaflet": "` + leaflet + `"}]}]}`)
	}
	for _, tc := range []struct {
		name, thumb, leaflet string
		files                map[string][]byte
		want                 string // in the thumbnail's problem; "" for none
	}{
		{"relative", "img/a.svg", "", map[string][]byte{"sub/img/a.svg": svg}, ""},
		{"parent directory", "../a.svg", "", map[string][]byte{"a.svg": svg}, ""},
		{"outside the file system", "../../a.svg", "", nil, "must be a path relative to the catalogue file"},
		{"absolute path", "/etc/a.svg", "", nil, "must be a path relative"},
		{"directory", "img", "", map[string][]byte{"sub/img/a.svg": svg}, "is a directory"},
		{"unknown type", "a.gif", "", map[string][]byte{"sub/a.gif": []byte("GIF89a")}, `unsupported file type ".gif"`},
		{"not svg", "a.svg", "", map[string][]byte{"sub/a.svg": []byte("hello")}, "is not an SVG image"},
		{"ftp URL", "ftp://example.com/a.png", "", nil, "https:// URL"},
		{"https URL", "https://example.com/a.png", "https://example.com/a.pdf", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"sub/x.json": {Data: doc(tc.thumb, tc.leaflet)}}
			for name, b := range tc.files {
				fsys[name] = &fstest.MapFile{Data: b}
			}
			st := testkit.NewStore(t)
			_, err := catalogfile.Import(context.Background(), st, fsys, "sub/x.json")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkProblems(t, err, []want{{"catalogs[c].products[P].thumbnail", tc.want}})
		})
	}
}

func TestParseFixturesAreClean(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "rich", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := catalogfile.Parse("catalog.json", b)
	if err != nil || len(f.Catalogs) != 2 || f.Catalogs[0].Products[1].Code != "PM-101" {
		t.Fatalf("Parse(rich) = %v", err)
	}
}

// TestSpecExample imports the example of docs/catalog-format.md, so that
// the documentation shows a valid file.
func TestSpecExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "catalog-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no JSON example in docs/catalog-format.md")
	}
	fsys := fstest.MapFS{
		"catalog.json":     {Data: []byte(example)},
		"media/pm-101.svg": {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	}
	rep, err := catalogfile.Import(context.Background(), testkit.NewStore(t), fsys, "catalog.json", catalogfile.WithHandlers(production.NewRegistry()))
	if err != nil {
		t.Fatalf("the documented example does not import:\n%v", err)
	}
	if len(rep.Products.Created) != 1 || len(rep.Shops.Created) != 1 {
		t.Errorf("report:\n%s", rep)
	}
}
