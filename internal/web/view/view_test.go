package view

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"courseshop/internal/i18n"
)

// TestTemplateKeysExist fails when a template uses a message id that the
// catalogue lacks, so no page can show a raw key.
func TestTemplateKeysExist(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.(?:T|N) "([a-z0-9_.]+)"`)
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			for _, lang := range i18n.Languages() {
				if !slices.Contains(cat.Keys(lang), m[1]) {
					t.Errorf("%s uses %q, missing from the %s catalogue", p, m[1], lang)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStaticAssets(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.AssetURL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^/static/[0-9a-f]{12}/app\.css$`).MatchString(u) {
		t.Fatalf("AssetURL = %q", u)
	}
	if _, err := e.AssetURL("nope.js"); err == nil {
		t.Error("unknown asset accepted")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/{hash}/{name...}", e.StaticHandler())
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET %s: %d %v", u, rec.Code, rec.Header())
	}
	etag := rec.Header().Get("ETag")
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("GET", u, nil)
	req.Header.Set("If-None-Match", etag)
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/static/000000000000/app.css", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("stale hash: %d, want 404", rec.Code)
	}
}

func TestRenderUnknownPage(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := i18n.New()
	rec := httptest.NewRecorder()
	if err := e.Render(rec, 200, "nope", &Page{L: cat.Localizer("en")}); err == nil {
		t.Error("unknown page rendered")
	}
	if rec.Body.Len() != 0 {
		t.Error("a failed render wrote a body")
	}
}

// TestBrokenTemplateFailsBoot: a template error must stop the start-up,
// not surface on the first visitor's request.
func TestBrokenTemplateFailsBoot(t *testing.T) {
	layout := &fstest.MapFile{Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)}
	for name, fsys := range map[string]fstest.MapFS{
		"syntax":        {"templates/layout.html": layout, "templates/pages/a.html": {Data: []byte(`{{define "content"}}{{if}}{{end}}`)}},
		"unknown func":  {"templates/layout.html": layout, "templates/pages/a.html": {Data: []byte(`{{define "content"}}{{nosuch 1}}{{end}}`)}},
		"unknown asset": {"templates/layout.html": {Data: []byte(`{{define "layout"}}{{asset "missing.css"}}{{end}}`)}, "templates/pages/a.html": {Data: []byte(`{{define "content"}}{{end}}`)}},
		"no pages":      {"templates/layout.html": layout},
	} {
		e, err := newEngine(fsys)
		if name == "unknown asset" && err == nil {
			// Asset names are resolved when rendering; the render test
			// below catches them before any page ships.
			rec := httptest.NewRecorder()
			cat, _ := i18n.New()
			if err := e.Render(rec, 200, "a", &Page{L: cat.Localizer("en")}); err == nil {
				t.Errorf("%s: rendered", name)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: newEngine accepted a broken template set", name)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		bp   int64
		lang string
		want string
	}{{550, "en", "5.5"}, {550, "fr", "5,5"}, {2000, "fr", "20"}, {210, "en", "2.1"}} {
		if got := percent(tc.bp, tc.lang); got != tc.want {
			t.Errorf("percent(%d, %s) = %q, want %q", tc.bp, tc.lang, got, tc.want)
		}
	}
}
