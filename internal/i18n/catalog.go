package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"text/template"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFiles embed.FS

// Languages returns the codes of the supported languages; the first one is
// the default used when nothing better is known.
//
// It returns a new slice on each call so callers may modify it freely.
func Languages() []string {
	return []string{"en", "fr"}
}

// isPluralCategory reports whether s is one of the CLDR plural categories
// go-i18n understands.
func isPluralCategory(s string) bool {
	switch s {
	case "zero", "one", "two", "few", "many", "other":
		return true
	}
	return false
}

// message is one entry of a locale file as written by its author. It is kept
// next to go-i18n's own copy because go-i18n does not expose which plural
// forms a message defines, and the tests need that.
type message struct {
	// forms maps a CLDR plural category to its text; a plain string message
	// is stored under "other", which is where go-i18n puts it too.
	forms map[string]string
	// plural reports whether the file spelled the message as an object of
	// plural forms rather than a plain string.
	plural bool
}

// Catalog holds every translation and the per-language localizers. It is
// immutable after [New] and safe for concurrent use.
type Catalog struct {
	bundle  *goi18n.Bundle
	matcher language.Matcher
	// supported lists the language codes in the order the matcher was built
	// with, so the index returned by Match maps back to a code.
	supported  []string
	localizers map[string]*Localizer
	messages   map[string]map[string]message
}

// New loads the embedded locale files. It fails if a file is malformed, a
// message has an unknown shape or an unparsable template, or the set of files
// does not match [Languages], so a broken translation stops the server at
// start-up instead of on some page later.
func New() (*Catalog, error) {
	return newCatalog(localeFiles)
}

// newCatalog is New over any file system, so tests can feed it broken files.
func newCatalog(fsys fs.FS) (*Catalog, error) {
	langs := Languages()
	bundle := goi18n.NewBundle(language.Make(langs[0]))
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)

	paths, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, fmt.Errorf("i18n: listing locale files: %w", err)
	}
	messages := make(map[string]map[string]message, len(langs))
	for _, p := range paths {
		lang := strings.TrimSuffix(path.Base(p), ".json")
		if !slices.Contains(langs, lang) {
			// A file nobody can select is almost certainly a mistake
			// (typo in the name, or Languages not updated).
			return nil, fmt.Errorf("i18n: %s: %q is not a supported language", p, lang)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		msgs, err := parseMessages(data)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", p, err)
		}
		if _, err := bundle.ParseMessageFileBytes(data, p); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", p, err)
		}
		messages[lang] = msgs
	}

	c := &Catalog{
		bundle:     bundle,
		supported:  langs,
		localizers: make(map[string]*Localizer, len(langs)),
		messages:   messages,
	}
	tags := make([]language.Tag, len(langs))
	for i, lang := range langs {
		msgs, ok := messages[lang]
		if !ok {
			return nil, fmt.Errorf("i18n: missing locale file locales/%s.json", lang)
		}
		tags[i] = language.Make(lang)
		c.localizers[lang] = &Localizer{
			lang:  lang,
			l:     goi18n.NewLocalizer(bundle, lang),
			plain: plainStrings(msgs),
		}
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// plainStrings returns the messages that need no template execution. Serving
// them from a map skips the language matching go-i18n redoes on every call
// (about 20x faster in BenchmarkT), and most strings on a page are of this
// kind.
func plainStrings(msgs map[string]message) map[string]string {
	plain := make(map[string]string, len(msgs))
	for id, m := range msgs {
		s := m.forms["other"]
		// Empty messages are left to go-i18n, which falls back to the
		// default language instead of rendering nothing.
		if m.plural || s == "" || strings.Contains(s, "{{") {
			continue
		}
		plain[id] = s
	}
	return plain
}

// parseMessages validates one locale file and returns its messages by id.
// It is stricter than go-i18n on purpose: go-i18n accepts nested objects and
// misspelled plural categories by turning them into other ids, and keeps only
// the last of duplicated keys, all of which hide translation mistakes.
func parseMessages(data []byte) (map[string]message, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errors.New("top level must be a JSON object")
	}
	msgs := make(map[string]message)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		id := tok.(string) // object keys are always strings once Token succeeded
		if _, dup := msgs[id]; dup {
			return nil, fmt.Errorf("duplicate message %q", id)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("message %q: %w", id, err)
		}
		m, err := parseMessage(id, raw)
		if err != nil {
			return nil, fmt.Errorf("message %q: %w", id, err)
		}
		msgs[id] = m
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level object")
	}
	return msgs, nil
}

// parseMessage accepts either a string or an object of plural forms.
func parseMessage(id string, raw json.RawMessage) (message, error) {
	var m message
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return m, err
		}
		m.forms = map[string]string{"other": s}
	case '{':
		if err := json.Unmarshal(raw, &m.forms); err != nil {
			return m, fmt.Errorf("plural forms must be strings (nested ids are not supported, use dotted keys): %w", err)
		}
		for category := range m.forms {
			if !isPluralCategory(category) {
				return m, fmt.Errorf("unknown plural category %q (want zero, one, two, few, many or other; nested ids are not supported, use dotted keys)", category)
			}
		}
		if _, ok := m.forms["other"]; !ok {
			// go-i18n falls back to "other" whenever a form is missing.
			return m, errors.New(`plural message has no "other" form`)
		}
		m.plural = true
	default:
		return m, errors.New("must be a string or an object of plural forms")
	}
	for category, text := range m.forms {
		// go-i18n parses templates lazily, on first render; check them now
		// so a typo fails at start-up rather than on a customer's page.
		if _, err := template.New(id).Parse(text); err != nil {
			return m, fmt.Errorf("form %q: %w", category, err)
		}
	}
	return m, nil
}

// Localizer returns the localizer for lang, a supported code such as the
// result of [Catalog.Negotiate]. A regional tag like "fr-CA" gets its base
// language; anything unsupported gets the default language.
func (c *Catalog) Localizer(lang string) *Localizer {
	if l, ok := c.localizers[lang]; ok {
		return l
	}
	if base := c.supportedBase(lang); base != "" {
		return c.localizers[base]
	}
	return c.localizers[c.supported[0]]
}

// Keys returns the sorted message ids defined in lang's locale file, or nil if
// lang is not supported. It exists so other packages' tests can check that
// every id they use is translated.
func (c *Catalog) Keys(lang string) []string {
	msgs, ok := c.messages[lang]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(msgs))
}

// Localizer renders the messages of one language. It is safe for concurrent
// use; get one from [Catalog.Localizer] rather than building it per request.
type Localizer struct {
	lang  string
	l     *goi18n.Localizer
	plain map[string]string
}

// Lang returns the language code the localizer renders, e.g. for the html
// lang attribute.
func (l *Localizer) Lang() string {
	return l.lang
}

// T returns the message id rendered with optional template data given as
// alternating name, value pairs: T("shop.from_price", "Price", p).
//
// If the message does not exist in this language the default language's text
// is used, and failing that the id itself, so a missing translation shows up
// on the page instead of breaking it.
func (l *Localizer) T(id string, args ...any) string {
	if s, ok := l.plain[id]; ok {
		return s
	}
	return l.localize(&goi18n.LocalizeConfig{
		MessageID:    id,
		TemplateData: templateData(args),
	})
}

// N is like [Localizer.T] for a message that depends on a quantity: count
// selects the plural form and is available to the template as .Count.
func (l *Localizer) N(id string, count int, args ...any) string {
	data := templateData(args)
	if data == nil {
		data = make(map[string]any, 1)
	}
	data["Count"] = count
	return l.localize(&goi18n.LocalizeConfig{
		MessageID:    id,
		TemplateData: data,
		PluralCount:  count,
	})
}

// localize never fails: go-i18n returns its best effort (default language,
// or the "other" form) along with an error, and only when it has nothing at
// all do we fall back to the id.
func (l *Localizer) localize(cfg *goi18n.LocalizeConfig) string {
	s, _ := l.l.Localize(cfg)
	if s == "" {
		return cfg.MessageID
	}
	return s
}

// templateData turns name, value pairs into template data. It is lenient
// because it runs while rendering a page: a non-string name is formatted
// with fmt, and a trailing name without a value is dropped, which leaves
// "<no value>" in the output where the placeholder was.
func templateData(args []any) map[string]any {
	if len(args) < 2 {
		return nil
	}
	data := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		name, ok := args[i].(string)
		if !ok {
			name = fmt.Sprint(args[i])
		}
		data[name] = args[i+1]
	}
	return data
}
