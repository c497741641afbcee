package i18n

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"text/template"
	"text/template/parse"

	"github.com/google/go-cmp/cmp"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func newTestCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// cldrOrder is the conventional order of plural categories, used to make
// diffs readable.
func cldrOrder(a, b string) int {
	const order = "zero one two few many other"
	return strings.Index(order, a) - strings.Index(order, b)
}

// cldrPluralForms returns the plural categories go-i18n's rule set uses for
// lang.
//
// go-i18n v2.7 keeps its rules in an internal package, so they cannot be
// listed directly; they are observed instead by localizing a message whose
// every form renders its own category name, for numbers covering what CLDR
// rules look at: integers up to 1000, round large numbers, decimals with one
// and two fraction digits, and compact exponents.
func cldrPluralForms(t testing.TB, lang string) []string {
	t.Helper()
	tag := language.Make(lang)
	b := goi18n.NewBundle(tag)
	if err := b.AddMessages(tag, &goi18n.Message{
		ID: "probe", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other",
	}); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	loc := goi18n.NewLocalizer(b, lang)

	var samples []any
	for i := range 1001 {
		samples = append(samples, i)
	}
	for _, n := range []int{10_000, 100_000, 1_000_000, 2_000_000, 10_000_000, 1_000_000_000} {
		samples = append(samples, n)
	}
	for i := range 300 {
		samples = append(samples, fmt.Sprintf("%d.%d", i/10, i%10), fmt.Sprintf("%d.%02d", i/100, i%100))
	}
	for _, s := range []string{"1e3", "1.1e3", "1e6", "1.1e6", "2e6", "1e7", "1.5e9"} {
		samples = append(samples, s)
	}

	seen := map[string]bool{}
	for _, n := range samples {
		form, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: "probe", PluralCount: n})
		if err != nil {
			t.Fatalf("%s: probing %v: %v", lang, n, err)
		}
		seen[form] = true
	}
	return slices.SortedFunc(maps.Keys(seen), cldrOrder)
}

// TestCLDRProbe guards the probe above: if it misses a category it would let
// incomplete plural messages through.
func TestCLDRProbe(t *testing.T) {
	tests := []struct {
		lang string
		want []string
	}{
		{"en", []string{"one", "other"}},
		{"fr", []string{"one", "many", "other"}},
		{"ru", []string{"one", "few", "many", "other"}},
		{"ar", []string{"zero", "one", "two", "few", "many", "other"}},
		{"ja", []string{"other"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cldrPluralForms(t, tt.lang)); diff != "" {
				t.Errorf("plural categories (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	got := Languages()
	if diff := cmp.Diff([]string{"en", "fr"}, got); diff != "" {
		t.Fatalf("Languages() (-want +got):\n%s", diff)
	}
	got[0] = "xx"
	if Languages()[0] != "en" {
		t.Error("modifying the result of Languages changed the next result")
	}
}

// seededKeys must stay in every locale file: templates and handlers use them.
var seededKeys = []string{
	"error.bad_request.title",
	"error.forbidden.text",
	"error.forbidden.title",
	"error.internal.text",
	"error.internal.title",
	"error.method_not_allowed.title",
	"error.not_found.text",
	"error.not_found.title",
	"error.too_large.title",
	"footer.powered",
	"home.empty",
	"home.title",
	"lang.en",
	"lang.fr",
	"nav.home",
	"nav.language",
	"nav.main",
	"nav.skip_to_content",
	"product.count",
	"shop.back_to_shops",
	"shop.categories",
	"shop.from_price",
	"shop.no_products",
	"shop.price_taxed",
	"shop.price_untaxed",
	"shop.products",
	"shop.test_mode",
	"site.title",
}

func TestKeys(t *testing.T) {
	c := newTestCatalog(t)
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			keys := c.Keys(lang)
			if !slices.IsSorted(keys) {
				t.Errorf("Keys(%q) is not sorted: %v", lang, keys)
			}
			for _, k := range seededKeys {
				if _, ok := slices.BinarySearch(keys, k); !ok {
					t.Errorf("Keys(%q) lacks %q", lang, k)
				}
			}
			keys[0] = "mutated"
			if c.Keys(lang)[0] == "mutated" {
				t.Error("modifying the result of Keys changed the catalog")
			}
		})
	}
	if got := c.Keys("de"); got != nil {
		t.Errorf(`Keys("de") = %v, want nil`, got)
	}
}

func TestKeyNaming(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	c := newTestCatalog(t)
	for _, lang := range Languages() {
		for _, id := range c.Keys(lang) {
			if !valid.MatchString(id) {
				t.Errorf("%s.json: id %q is not dotted lower_snake (e.g. shop.price_taxed)", lang, id)
			}
		}
	}
}

func TestMissingTranslations(t *testing.T) {
	c := newTestCatalog(t)
	all := map[string]bool{}
	for _, lang := range Languages() {
		for _, id := range c.Keys(lang) {
			all[id] = true
		}
	}
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			var missing []string
			for _, id := range slices.Sorted(maps.Keys(all)) {
				if _, ok := c.messages[lang][id]; !ok {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				t.Errorf("locales/%s.json is missing %d message(s) present in another language:\n\t%s",
					lang, len(missing), strings.Join(missing, "\n\t"))
			}
		})
	}
}

func TestPluralForms(t *testing.T) {
	c := newTestCatalog(t)
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			want := cldrPluralForms(t, lang)
			for _, id := range c.Keys(lang) {
				m := c.messages[lang][id]
				if !m.plural {
					continue
				}
				got := slices.SortedFunc(maps.Keys(m.forms), cldrOrder)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: plural categories differ from CLDR rules for %q (-want +got):\n%s", id, lang, diff)
				}
			}
		})
	}

	// A message that is plural in one language must be plural in all, or
	// callers using N would get the wrong text in the plain-string language.
	t.Run("same shape", func(t *testing.T) {
		langs := Languages()
		for _, id := range c.Keys(langs[0]) {
			ref := c.messages[langs[0]][id]
			for _, lang := range langs[1:] {
				m, ok := c.messages[lang][id]
				if ok && m.plural != ref.plural {
					t.Errorf("%s: plural in %s is %v but in %s is %v", id, langs[0], ref.plural, lang, m.plural)
				}
			}
		}
	})
}

// placeholders returns the sorted top-level data fields ({{.Name}}) text uses.
// It walks the parsed template rather than matching text so that dots inside
// string literals or chained fields are not mistaken for placeholders.
func placeholders(t testing.TB, text string) []string {
	t.Helper()
	tmpl, err := template.New("").Parse(text)
	if err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	set := map[string]bool{}
	var walk func(parse.Node)
	walkBranch := func(b *parse.BranchNode) {
		walk(b.Pipe)
		walk(b.List)
		if b.ElseList != nil {
			walk(b.ElseList)
		}
	}
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.FieldNode:
			set[n.Ident[0]] = true
		case *parse.IfNode:
			walkBranch(&n.BranchNode)
		case *parse.RangeNode:
			walkBranch(&n.BranchNode)
		case *parse.WithNode:
			walkBranch(&n.BranchNode)
		}
	}
	if tmpl.Tree != nil {
		walk(tmpl.Tree.Root)
	}
	return slices.Sorted(maps.Keys(set))
}

func TestPlaceholdersHelper(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"plain", nil},
		{"{{.Price}} HT", []string{"Price"}},
		{`{{printf "%.2f" .Amount}} / {{ .Shop.Name }}`, []string{"Amount", "Shop"}},
		{"{{if .Count}}{{.Count}}{{else}}{{.Empty}}{{end}}", []string{"Count", "Empty"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, placeholders(t, tt.text)); diff != "" {
			t.Errorf("placeholders(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	c := newTestCatalog(t)
	langs := Languages()
	for _, lang := range langs {
		for _, other := range langs {
			if lang == other {
				continue
			}
			t.Run(lang+"-vs-"+other, func(t *testing.T) {
				for _, id := range c.Keys(lang) {
					ref, ok := c.messages[other][id]
					if !ok {
						continue // reported by TestMissingTranslations
					}
					want := placeholders(t, ref.forms["other"])
					for category, text := range c.messages[lang][id].forms {
						if diff := cmp.Diff(want, placeholders(t, text)); diff != "" {
							t.Errorf("%s (%s form) uses different placeholders than %s.json (-%s +%s):\n%s",
								id, category, other, other, lang, diff)
						}
					}
				}
			})
		}
	}
}

func TestNoEmptyMessages(t *testing.T) {
	c := newTestCatalog(t)
	for _, lang := range Languages() {
		for _, id := range c.Keys(lang) {
			for category, text := range c.messages[lang][id].forms {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s.json: %s (%s form) is empty", lang, id, category)
				}
			}
		}
	}
}

func TestNewRejectsBadFiles(t *testing.T) {
	const fr = `{"a.b": "Bonjour"}`
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string // "" means New must succeed
	}{
		{"valid", map[string]string{"en": `{"a.b": "Hello", "a.n": {"one": "x", "other": "y"}}`, "fr": fr}, ""},
		{"malformed json", map[string]string{"en": `{"a.b": "Hello",}`, "fr": fr}, "en.json"},
		{"top-level array", map[string]string{"en": `["Hello"]`, "fr": fr}, "top level"},
		{"trailing data", map[string]string{"en": `{"a.b": "Hello"} {}`, "fr": fr}, "after the top-level"},
		{"nested ids", map[string]string{"en": `{"a": {"b": "Hello"}}`, "fr": fr}, "nested ids"},
		{"deeply nested ids", map[string]string{"en": `{"a": {"b": {"c": "Hello"}}}`, "fr": fr}, "nested ids"},
		{"misspelled category", map[string]string{"en": `{"a.n": {"one": "x", "ohter": "y"}}`, "fr": fr}, `"ohter"`},
		{"no other form", map[string]string{"en": `{"a.n": {"one": "x"}}`, "fr": fr}, `no "other"`},
		{"number value", map[string]string{"en": `{"a.b": 3}`, "fr": fr}, `"a.b"`},
		{"bad template", map[string]string{"en": `{"a.b": "From {{.Price"}`, "fr": fr}, `"a.b"`},
		{"duplicate id", map[string]string{"en": `{"a.b": "Hello", "a.b": "Hi"}`, "fr": fr}, "duplicate"},
		{"missing language", map[string]string{"en": `{"a.b": "Hello"}`}, "fr.json"},
		{"unsupported language", map[string]string{"en": `{"a.b": "Hello"}`, "fr": fr, "de": `{"a.b": "Hallo"}`}, `"de"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for lang, body := range tt.files {
				fsys["locales/"+lang+".json"] = &fstest.MapFile{Data: []byte(body)}
			}
			_, err := newCatalog(fsys)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("newCatalog: unexpected error %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("newCatalog succeeded, want an error mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("newCatalog error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestLocalizer(t *testing.T) {
	c := newTestCatalog(t)
	tests := []struct{ lang, want string }{
		{"en", "en"},
		{"fr", "fr"},
		{"fr-CA", "fr"},
		{"FR", "fr"},
		{"de", "en"},
		{"xx", "en"},
		{"", "en"},
	}
	for _, tt := range tests {
		if got := c.Localizer(tt.lang).Lang(); got != tt.want {
			t.Errorf("Localizer(%q).Lang() = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	c := newTestCatalog(t)
	tests := []struct {
		lang string
		id   string
		args []any
		want string
	}{
		{"en", "site.title", nil, "courseshop"},
		{"fr", "nav.home", nil, "Accueil"},
		{"fr", "lang.fr", nil, "Français"},
		{"fr", "lang.en", nil, "English"},
		{"en", "shop.price_taxed", []any{"Price", "€12.00"}, "€12.00 incl. tax"},
		{"fr", "shop.price_taxed", []any{"Price", "12,00 €"}, "12,00 € TTC"},
		{"en", "shop.price_untaxed", []any{"Price", "€10.00"}, "€10.00 excl. tax"},
		{"fr", "shop.price_untaxed", []any{"Price", "10,00 €"}, "10,00 € HT"},
		{"fr", "shop.from_price", []any{"Price", "5 €"}, "À partir de 5 €"},
		{"en", "error.internal.text", []any{"RequestID", "r-42"}, "The error was logged with reference r-42."},
		{"fr", "error.internal.text", []any{"RequestID", "r-42"}, "L’erreur a été enregistrée sous la référence r-42."},
		// Values are not escaped here; html/template does it on output.
		{"en", "shop.from_price", []any{"Price", "<b>"}, "From <b>"},
		// Arguments to a plain message are harmless.
		{"en", "nav.home", []any{"Price", 1}, "Home"},
		// A forgotten argument degrades visibly instead of failing.
		{"en", "shop.from_price", nil, "From <no value>"},
		{"en", "shop.from_price", []any{"Price"}, "From <no value>"},
		// T on a plural message uses its "other" form.
		{"en", "product.count", []any{"Count", 3}, "3 products"},
		{"en", "no.such.key", nil, "no.such.key"},
		{"fr", "no.such.key", []any{"Price", 1}, "no.such.key"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.id, func(t *testing.T) {
			if got := c.Localizer(tt.lang).T(tt.id, tt.args...); got != tt.want {
				t.Errorf("T(%q, %v) = %q, want %q", tt.id, tt.args, got, tt.want)
			}
		})
	}
}

func TestN(t *testing.T) {
	c := newTestCatalog(t)
	tests := []struct {
		lang  string
		id    string
		count int
		args  []any
		want  string
	}{
		{"en", "product.count", 0, nil, "0 products"},
		{"en", "product.count", 1, nil, "1 product"},
		{"en", "product.count", 2, nil, "2 products"},
		// French uses the singular for 0 and 1.
		{"fr", "product.count", 0, nil, "0 produit"},
		{"fr", "product.count", 1, nil, "1 produit"},
		{"fr", "product.count", 2, nil, "2 produits"},
		{"fr", "product.count", 1_000_000, nil, "1000000 produits"}, // CLDR "many"
		// Count always reflects the count argument.
		{"en", "product.count", 2, []any{"Count", 99}, "2 products"},
		{"en", "no.such.key", 2, nil, "no.such.key"},
		// N on a plain message still renders it, with .Count available.
		{"fr", "nav.home", 2, nil, "Accueil"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%d", tt.lang, tt.id, tt.count), func(t *testing.T) {
			if got := c.Localizer(tt.lang).N(tt.id, tt.count, tt.args...); got != tt.want {
				t.Errorf("N(%q, %d, %v) = %q, want %q", tt.id, tt.count, tt.args, got, tt.want)
			}
		})
	}
}

// TestFallbackToDefaultLanguage covers a key added to en.json but not yet
// translated: the English text is better than the bare id.
func TestFallbackToDefaultLanguage(t *testing.T) {
	c, err := newCatalog(fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"a.plain": "Hello", "a.tmpl": "Hi {{.Name}}", "a.empty": "Yes", "a.n": {"one": "{{.Count}} cat", "other": "{{.Count}} cats"}}`)},
		"locales/fr.json": {Data: []byte(`{"a.empty": ""}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	fr := c.Localizer("fr")
	tests := []struct{ got, want string }{
		{fr.T("a.plain"), "Hello"},
		{fr.T("a.tmpl", "Name", "Ann"), "Hi Ann"},
		{fr.T("a.empty"), "Yes"},
		{fr.N("a.n", 2), "2 cats"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

// TestConcurrentUse is meant for -race: localizers are shared by all requests.
func TestConcurrentUse(t *testing.T) {
	c := newTestCatalog(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				loc := c.Localizer(c.Negotiate("", "fr-FR,fr;q=0.9"))
				if i%2 == 0 {
					loc = c.Localizer("en")
				}
				_ = loc.T("nav.home")
				_ = loc.T("shop.from_price", "Price", j)
				_ = loc.N("product.count", j)
			}
		})
	}
	wg.Wait()
}

func BenchmarkT(b *testing.B) {
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	loc := c.Localizer("fr")
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = loc.T("nav.home")
		}
	})
	// What T would cost for the same key without the plain-string cache.
	b.Run("plain_uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = loc.localize(&goi18n.LocalizeConfig{MessageID: "nav.home"})
		}
	})
	b.Run("placeholder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = loc.T("shop.from_price", "Price", "12,00 €")
		}
	})
	b.Run("plural", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = loc.N("product.count", 3)
		}
	})
	b.Run("missing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = loc.T("no.such.key")
		}
	})
}
