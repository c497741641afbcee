package view

import (
	"html/template"
	"sort"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"courseshop/internal/i18n"
)

// Country is one choice of a country list.
type Country struct {
	Code string // ISO 3166-1 alpha-2
	Name string // in the page's language
}

// countryLists returns, per supported language, every ISO country sorted
// by its name in that language (so "Égypte" sorts under E in French).
func countryLists() map[string][]Country {
	var codes []language.Region
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r, err := language.ParseRegion(string([]rune{a, b}))
			if err == nil && r.IsCountry() && r.String() == string([]rune{a, b}) {
				codes = append(codes, r)
			}
		}
	}
	out := map[string][]Country{}
	for _, lang := range i18n.Languages() {
		tag := language.Make(lang)
		names := display.Regions(tag)
		list := make([]Country, 0, len(codes))
		for _, r := range codes {
			name := names.Name(r)
			if name == "" {
				name = r.String()
			}
			list = append(list, Country{Code: r.String(), Name: name})
		}
		col := collate.New(tag, collate.Loose)
		sort.SliceStable(list, func(i, j int) bool { return col.CompareString(list[i].Name, list[j].Name) < 0 })
		out[lang] = list
	}
	return out
}

// countryOptions holds, per language, the <option> elements of every
// country, escaped once: a form with two country lists would otherwise
// spend most of its rendering time on 500 template calls.
type countryOptions map[string][]countryOption

type countryOption struct {
	code string
	html string // `<option value="FR">France</option>`
}

func newCountryOptions(lists map[string][]Country) countryOptions {
	out := countryOptions{}
	for lang, list := range lists {
		for _, c := range list {
			out[lang] = append(out[lang], countryOption{code: c.Code,
				html: `<option value="` + template.HTMLEscapeString(c.Code) + `">` + template.HTMLEscapeString(c.Name) + `</option>`})
		}
	}
	return out
}

// render returns the options of lang with selected marked.
func (co countryOptions) render(lang, selected string) template.HTML {
	var b strings.Builder
	b.Grow(len(co[lang]) * 40)
	for _, o := range co[lang] {
		if o.code == selected {
			b.WriteString(strings.Replace(o.html, `">`, `" selected>`, 1))
			continue
		}
		b.WriteString(o.html)
	}
	return template.HTML(b.String()) // built from escaped parts above
}
