// Package view renders the shop's HTML: html/template pages embedded in the
// binary and parsed once at start-up (a template error stops the boot), a
// shared layout, and static assets under content-hashed URLs.
package view

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync/atomic"

	"courseshop/internal/catalog"
	"courseshop/internal/i18n"
	"courseshop/internal/money"
	"courseshop/internal/pricing"
)

//go:embed templates
var templateFS embed.FS

// Page is what every template receives: the request's language and
// localizer, head metadata, and the page's own data.
type Page struct {
	L           *i18n.Localizer
	Title       string // without the site name
	Description string // meta description
	Path        string // current path and query, for the language switch
	RequestID   string
	Shop        *catalog.Shop // set on a shop's pages: header with search and mini-cart
	Query       string        // the search box's value
	Account     string        // the signed-in buyer's name, if any
	Flashes     []Flash
	Data        any
}

// Flash is a one-time message shown at the top of a page.
type Flash struct {
	Kind string // "info" or "error"
	Text string
}

// miniCartMarker is where a shop page's per-visitor mini-cart goes. Shop
// pages are rendered once per language and cached; the mini-cart is
// spliced in at this point for each request.
const miniCartMarker = "<!--courseshop:minicart-->"

// Lang returns the page's language code, for <html lang>.
func (p *Page) Lang() string { return p.L.Lang() }

// Engine holds the parsed pages and static assets.
type Engine struct {
	countries countryOptions
	pages     map[string]*page
	fragments *template.Template // the shared templates alone
	assets    map[string]asset
}

// page is a page's template and the largest size it rendered to: the
// buffer of the next rendering starts that large instead of doubling its
// way up, which was most of the memory the pages allocated.
type page struct {
	t    *template.Template
	size atomic.Int64
}

// New parses every embedded page with the layout and partials.
func New() (*Engine, error) { return newEngine(templateFS) }

func newEngine(templates fs.FS) (*Engine, error) {
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("view: static assets: %w", err)
	}
	e := &Engine{pages: map[string]*page{}, assets: assets, countries: newCountryOptions(countryLists())}
	funcs := template.FuncMap{
		"asset":          e.AssetURL,
		"money":          func(m money.Money, lang string) string { return m.Format(lang) },
		"langs":          i18n.Languages,
		"inc":            func(i int) int { return i + 1 },
		"dec":            func(i int) int { return i - 1 },
		"percent":        percent,
		"minicart":       func() template.HTML { return miniCartMarker },
		"dict":           dict,
		"lower":          func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
		"countryOptions": e.countries.render,
		"field":          func(parts ...any) string { return fieldName(parts) },
		"options":        fieldOptions,
		"filesize":       fileSize,
	}
	shared, err := fs.Glob(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templates, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("view: no pages found")
	}
	if e.fragments, err = template.New("fragments").Funcs(funcs).ParseFS(templates, shared...); err != nil {
		return nil, fmt.Errorf("view: shared templates: %w", err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(templates, append(shared, p)...)
		if err != nil {
			return nil, fmt.Errorf("view: page %s: %w", name, err)
		}
		e.pages[name] = &page{t: t}
	}
	return e, nil
}

// Pages returns the names of the parsed pages.
func (e *Engine) Pages() []string {
	names := make([]string, 0, len(e.pages))
	for n := range e.pages {
		names = append(names, n)
	}
	return names
}

// RenderSplit renders page name and returns it cut at the mini-cart
// marker: head, then tail (empty when the page has no marker).
func (e *Engine) RenderSplit(name string, p *Page) (head, tail []byte, err error) {
	pg, ok := e.pages[name]
	if !ok {
		return nil, nil, fmt.Errorf("view: no page %q", name)
	}
	var buf bytes.Buffer
	buf.Grow(int(pg.size.Load()))
	if err := pg.t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return nil, nil, fmt.Errorf("view: render %s: %w", name, err)
	}
	if n := int64(buf.Len()); n > pg.size.Load() {
		pg.size.Store(n)
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte(miniCartMarker)); i >= 0 {
		return b[:i], b[i+len(miniCartMarker):], nil
	}
	return b, nil, nil
}

// RenderFragment renders the shared template name (a partial such as the
// mini-cart) with data.
func (e *Engine) RenderFragment(w io.Writer, name string, data any) error {
	return e.fragments.ExecuteTemplate(w, name, data)
}

// fieldName joins the parts of an indexed form field name with "|", as
// the checkout forms name per-unit fields ("a|CODE|0|name").
func fieldName(parts []any) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('|')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// option is a select field's choice in one language.
type option struct{ Value, Label string }

// fieldOptions returns the choices of a required-data field in lang.
func fieldOptions(f catalog.Field, lang string) []option {
	out := make([]option, len(f.Options))
	for i, o := range f.Options {
		label := o.Label[lang]
		if label == "" {
			label = o.Value
		}
		out[i] = option{Value: o.Value, Label: label}
	}
	return out
}

// percent writes a tax rate for lang: "5.5" in English, "5,5" in French.
func percent(bp int64, lang string) string {
	s := pricing.FormatRate(bp)
	if lang == "fr" {
		return strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// dict builds a map from key/value pairs, to pass several values to a
// shared template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("view: dict needs key/value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("view: dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Render writes page name with status. The page is rendered into a buffer
// first, so a template failure becomes an error and never half a page.
func (e *Engine) Render(w http.ResponseWriter, status int, name string, p *Page) error {
	head, tail, err := e.RenderSplit(name, p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err = w.Write(tail)
	return err
}
