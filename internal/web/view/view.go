// Package view renders the shop's HTML: html/template pages embedded in the
// binary and parsed once at start-up (a template error stops the boot), a
// shared layout, and static assets under content-hashed URLs.
package view

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"courseshop/internal/i18n"
	"courseshop/internal/money"
)

//go:embed templates
var templateFS embed.FS

// Page is what every template receives: the request's language and
// localizer, head metadata, and the page's own data.
type Page struct {
	L           *i18n.Localizer
	Title       string // without the site name
	Description string // meta description
	Path        string // current path, for the language switch
	RequestID   string
	Data        any
}

// Lang returns the page's language code, for <html lang>.
func (p *Page) Lang() string { return p.L.Lang() }

// Engine holds the parsed pages and static assets.
type Engine struct {
	pages  map[string]*template.Template
	assets map[string]asset
}

// New parses every embedded page with the layout and partials.
func New() (*Engine, error) { return newEngine(templateFS) }

func newEngine(templates fs.FS) (*Engine, error) {
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("view: static assets: %w", err)
	}
	e := &Engine{pages: map[string]*template.Template{}, assets: assets}
	funcs := template.FuncMap{
		"asset": e.AssetURL,
		"money": func(m money.Money, lang string) string { return m.Format(lang) },
		"langs": i18n.Languages,
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
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(templates, append(shared, p)...)
		if err != nil {
			return nil, fmt.Errorf("view: page %s: %w", name, err)
		}
		e.pages[name] = t
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

// Render writes page name with status. The page is rendered into a buffer
// first, so a template failure becomes an error and never half a page.
func (e *Engine) Render(w http.ResponseWriter, status int, name string, p *Page) error {
	t, ok := e.pages[name]
	if !ok {
		return fmt.Errorf("view: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("view: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
