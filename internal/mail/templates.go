package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"courseshop/internal/i18n"
)

//go:embed templates
var templateFiles embed.FS

// The files of one kind in one language, below templates/<lang>/.
const (
	extSubject = ".subject" // text/template, one line
	extText    = ".txt"     // text/template
	extHTML    = ".html"    // html/template defining "content", run inside layout.html
)

// layoutFile is the HTML frame shared by every kind and language.
const layoutFile = "layout.html"

// Renderer renders mails from the embedded templates. It is immutable after
// New and safe for concurrent use.
type Renderer struct {
	langs []string // supported languages; the first is the fallback
	sets  map[string]map[string]*kindTemplates
}

type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// layoutData is what layout.html sees; the kind's "content" template gets
// Data.
type layoutData struct {
	Lang    string
	Subject string
	Data    any
}

// New parses the templates of every kind in every language of the shop
// (i18n.Languages). It fails, listing every problem, when a kind misses a
// file in some language, when a file belongs to no known kind, or when a
// template does not parse.
func New() (*Renderer, error) {
	fsys, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	return newRenderer(fsys, i18n.Languages())
}

// newRenderer is New on any file tree, for tests.
func newRenderer(fsys fs.FS, langs []string) (*Renderer, error) {
	if len(langs) == 0 {
		return nil, errors.New("mail: no languages")
	}
	var errs []error
	layoutSrc, err := fs.ReadFile(fsys, layoutFile)
	if err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	r := &Renderer{langs: slices.Clone(langs), sets: map[string]map[string]*kindTemplates{}}
	for _, lang := range langs {
		funcs := templateFuncs(lang)
		layout, err := htmltemplate.New(layoutFile).Funcs(htmltemplate.FuncMap(funcs)).Option("missingkey=error").Parse(string(layoutSrc))
		if err != nil {
			return nil, fmt.Errorf("mail: templates/%s: %w", layoutFile, err)
		}
		r.sets[lang] = map[string]*kindTemplates{}
		for _, kind := range Kinds() {
			kt, err := parseKind(fsys, lang, kind, funcs, layout)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r.sets[lang][kind] = kt
		}
		errs = append(errs, strayFiles(fsys, lang)...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	return r, nil
}

func parseKind(fsys fs.FS, lang, kind string, funcs map[string]any, layout *htmltemplate.Template) (*kindTemplates, error) {
	read := func(ext string) (string, error) {
		name := path.Join(lang, kind+ext)
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("templates/%s is missing: every kind needs %s, %s and %s files in every language",
				name, extSubject, extText, extHTML)
		}
		return string(b), err
	}
	var errs []error
	var kt kindTemplates
	if src, err := read(extSubject); err != nil {
		errs = append(errs, err)
	} else if kt.subject, err = texttemplate.New(kind + extSubject).Funcs(funcs).Option("missingkey=error").Parse(src); err != nil {
		errs = append(errs, err)
	}
	if src, err := read(extText); err != nil {
		errs = append(errs, err)
	} else if kt.text, err = texttemplate.New(kind + extText).Funcs(funcs).Option("missingkey=error").Parse(src); err != nil {
		errs = append(errs, err)
	}
	if src, err := read(extHTML); err != nil {
		errs = append(errs, err)
	} else {
		// Each kind gets its own copy of the layout, since every kind
		// defines the same "content" template.
		t, err := layout.Clone()
		if err == nil {
			t, err = t.New(kind + extHTML).Parse(src)
		}
		if err == nil && t.Lookup("content") == nil {
			err = fmt.Errorf("templates/%s/%s%s does not define \"content\"", lang, kind, extHTML)
		}
		if err != nil {
			errs = append(errs, err)
		}
		kt.html = t
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &kt, nil
}

// strayFiles reports files of a language that belong to no kind: a
// misspelt name would otherwise be ignored while the kind it was meant for
// fails as missing, or, worse, a retired kind would linger.
func strayFiles(fsys fs.FS, lang string) []error {
	entries, err := fs.ReadDir(fsys, lang)
	if err != nil {
		return []error{fmt.Errorf("templates/%s: %w", lang, err)}
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		kind := strings.TrimSuffix(name, ext)
		if e.IsDir() || !slices.Contains([]string{extSubject, extText, extHTML}, ext) || !slices.Contains(Kinds(), kind) {
			errs = append(errs, fmt.Errorf("templates/%s/%s belongs to no kind of mail (kinds: %s)", lang, name, strings.Join(Kinds(), ", ")))
		}
	}
	return errs
}

// Languages returns the languages mails are written in; the first is used
// for any other. It returns a new slice on each call.
func (r *Renderer) Languages() []string { return slices.Clone(r.langs) }

// Lang returns the language a mail for locale is written in: its primary
// language ("fr" for "fr-CA") when supported, else the fallback.
func (r *Renderer) Lang(locale string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	base, _, _ = strings.Cut(base, "_")
	if slices.Contains(r.langs, base) {
		return base
	}
	return r.langs[0]
}

// Render renders a mail of kind in the language of locale (see Lang) with
// data, which must be the kind's data struct (or a pointer to it) with its
// required fields set. The returned Message has Kind, Locale, Subject, Text
// and HTML set; the caller adds the recipient and reference.
func (r *Renderer) Render(kind, locale string, data any) (Message, error) {
	lang := r.Lang(locale)
	fail := func(err error) (Message, error) {
		return Message{}, fmt.Errorf("mail: render %s (%s): %w", kind, lang, err)
	}
	kt, ok := r.sets[lang][kind]
	want, known := dataType(kind)
	if !ok || !known {
		return fail(fmt.Errorf("unknown kind of mail (kinds: %s)", strings.Join(Kinds(), ", ")))
	}
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || v.Type() != want {
		return fail(fmt.Errorf("%w: data is %T, want %s", ErrBadData, data, want))
	}
	data = v.Interface()
	if c, ok := data.(checker); ok {
		if err := c.check(); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrBadData, err))
		}
	}
	var subject, text, html bytes.Buffer
	if err := kt.subject.Execute(&subject, data); err != nil {
		return fail(err)
	}
	if err := kt.text.Execute(&text, data); err != nil {
		return fail(err)
	}
	m := Message{Kind: kind, Locale: lang, Subject: oneLine(subject.String()), Text: tidyText(text.String())}
	if err := kt.html.ExecuteTemplate(&html, layoutFile, layoutData{Lang: lang, Subject: m.Subject, Data: data}); err != nil {
		return fail(err)
	}
	m.HTML = html.String()
	return m, nil
}

// oneLine makes a rendered subject a single header-safe line: a line break
// in data (a shop name, say) must never start a new header.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tidyText trims trailing spaces from each line and runs of more than one
// blank line, which optional blocks of the text templates leave behind, so
// the templates can stay readable.
func tidyText(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

// templateFuncs returns the functions templates of lang may call.
func templateFuncs(lang string) map[string]any {
	return map[string]any{
		// date writes a day in the language of the mail: "28 November 2026",
		// "28 novembre 2026".
		"date": func(t time.Time) string { return formatDate(lang, t) },
		// lines splits text on line breaks, for HTML that keeps them.
		"lines": func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") },
	}
}

func formatDate(lang string, t time.Time) string {
	month := t.Month().String()
	if lang == "fr" {
		month = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
			"septembre", "octobre", "novembre", "décembre"}[t.Month()-1]
	}
	day := strconv.Itoa(t.Day())
	if lang == "fr" && t.Day() == 1 {
		day = "1er"
	}
	return day + " " + month + " " + strconv.Itoa(t.Year())
}
