package catalogfile

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"courseshop/internal/catalog"
)

// Format and Version identify the files this package reads and writes.
const (
	Format  = "courseshop-catalog"
	Version = 1
)

// The types below are version 1 of the file format. A field tagged
// `catalogfile:"key"` identifies its object in a list; problems are located
// with it ("products[PM-101]").

// File is a whole catalogue file.
type File struct {
	Format     string     `json:"format"`
	Version    int        `json:"version"`
	TaxClasses []TaxClass `json:"tax_classes"`
	Catalogs   []Catalog  `json:"catalogs"`
	Shops      []Shop     `json:"shops"`
}

// TaxClass is a tax class with its rates per country.
type TaxClass struct {
	Code  string    `json:"code" catalogfile:"key"`
	Name  string    `json:"name"`
	Rates []TaxRate `json:"rates"`
}

// TaxRate is the rate of a tax class in a country ("*": any other).
type TaxRate struct {
	Country string `json:"country" catalogfile:"key"`
	RateBP  int64  `json:"rate_bp"`
	Name    string `json:"name,omitempty"`
}

// Catalog is a catalogue with its categories and products.
type Catalog struct {
	Code        string     `json:"code" catalogfile:"key"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Terms       string     `json:"terms"`
	BillFooter  string     `json:"bill_footer"`
	Categories  []Category `json:"categories"`
	Products    []Product  `json:"products"`
}

// Category is a category; Parent is the alias of its parent ("" for a root).
type Category struct {
	Alias     string                  `json:"alias" catalogfile:"key"`
	Parent    string                  `json:"parent"`
	SortOrder int                     `json:"sort_order"`
	Visible   bool                    `json:"visible"`
	Texts     map[string]CategoryText `json:"texts"`
}

// CategoryText is a category's wording in one language.
type CategoryText struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	SEOTitle       string `json:"seo_title,omitempty"`
	SEODescription string `json:"seo_description,omitempty"`
}

// Product is a product, set or bundle. Category and TaxClass are codes;
// Thumbnail, Picture and Leaflet are paths relative to the file or https
// URLs. Passcode is a plain passcode (hashed on import); export writes
// PasscodeHash instead.
type Product struct {
	Code           string                 `json:"code" catalogfile:"key"`
	Kind           string                 `json:"kind"`
	Category       string                 `json:"category"`
	Status         string                 `json:"status"`
	Audience       string                 `json:"audience"`
	TaxClass       string                 `json:"tax_class"`
	MaxQuantity    int                    `json:"max_quantity"`
	Passcode       string                 `json:"passcode,omitempty"`
	PasscodeHash   string                 `json:"passcode_hash,omitempty"`
	SeatMode       string                 `json:"seat_mode"`
	Renewable      bool                   `json:"renewable"`
	StockLimit     int                    `json:"stock_limit"`
	Featured       bool                   `json:"featured"`
	SortOrder      int                    `json:"sort_order"`
	Thumbnail      string                 `json:"thumbnail"`
	Picture        string                 `json:"picture"`
	Leaflet        string                 `json:"leaflet"`
	Texts          map[string]ProductText `json:"texts"`
	Prices         map[string][]Tier      `json:"prices"`
	RequiredFields []Field                `json:"required_fields"`
	Handler        string                 `json:"handler"`
	HandlerParams  json.RawMessage        `json:"handler_params"`
	Elements       []Element              `json:"elements"`
}

// ProductText is a product's wording in one language.
type ProductText struct {
	Name           string `json:"name"`
	Summary        string `json:"summary,omitempty"`
	Description    string `json:"description,omitempty"`
	Notes          string `json:"notes,omitempty"`
	Terms          string `json:"terms,omitempty"`
	SEOTitle       string `json:"seo_title,omitempty"`
	SEODescription string `json:"seo_description,omitempty"`
}

// Tier is one price tier: Unit, an exact decimal in the currency, applies
// to every unit when the whole quantity is at most UpTo (0: no bound).
type Tier struct {
	UpTo int    `json:"up_to"`
	Unit string `json:"unit"`
}

// Field is a piece of data asked of the buyer per unit.
type Field struct {
	Name      string            `json:"name" catalogfile:"key"`
	Type      string            `json:"type"`
	Label     map[string]string `json:"label"`
	Help      map[string]string `json:"help,omitempty"`
	Required  bool              `json:"required,omitempty"`
	Pattern   string            `json:"pattern,omitempty"`
	MinLength int               `json:"min_length,omitempty"`
	MaxLength int               `json:"max_length,omitempty"`
	Options   []Option          `json:"options,omitempty"`
}

// Option is one choice of a select field.
type Option struct {
	Value string            `json:"value" catalogfile:"key"`
	Label map[string]string `json:"label,omitempty"`
}

// Element is a product inside a set or bundle, by code.
type Element struct {
	Code     string `json:"code" catalogfile:"key"`
	Quantity int    `json:"quantity"`
}

// Shop is a storefront; Catalog is a catalogue code.
type Shop struct {
	Code              string   `json:"code" catalogfile:"key"`
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Currency          string   `json:"currency"`
	Catalog           string   `json:"catalog"`
	DefaultLocale     string   `json:"default_locale"`
	Terms             string   `json:"terms"`
	PaymentModes      []string `json:"payment_modes"`
	GuestPaymentModes []string `json:"guest_payment_modes"`
	CheckoutSteps     []string `json:"checkout_steps"`
	ShowTaxedPrices   bool     `json:"show_taxed_prices"`
	TestMode          bool     `json:"test_mode"`
	TestForEveryone   bool     `json:"test_for_everyone"`
	SupportCourse     string   `json:"support_course"`
	LMSConnector      string   `json:"lms_connector"`
	MoodleURL         string   `json:"moodle_url"`
	SortOrder         int      `json:"sort_order"`
	Enabled           bool     `json:"enabled"`
	Seller            Seller   `json:"seller"`
}

// Seller is the legal identity printed on a shop's invoices.
type Seller struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	Country     string `json:"country"`
	VATNumber   string `json:"vat_number"`
	Email       string `json:"email"`
	BankDetails string `json:"bank_details"`
}

// Parse decodes a catalogue file named name (for messages). It reports
// every structural problem at once (JSON syntax with line and column,
// unknown or duplicated keys, values of the wrong JSON type, wrong format
// or version) as a *ValidationError; the rules of docs/catalog-format.md are
// Import's to check.
func Parse(name string, data []byte) (*File, error) {
	p := parse(data)
	p.sortProblems(p.probs)
	if len(p.probs) > 0 {
		return nil, &ValidationError{File: name, Problems: p.probs}
	}
	return p.file, nil
}

// parsed is what parse makes of a file.
type parsed struct {
	file  *File // nil after a syntax error
	probs []Problem
	bad   map[string]bool // paths whose values could not be decoded
	order map[string]int  // document order of every path in the file
}

// sortProblems puts problems in document order: by the position of the
// longest prefix of their path present in the file. Problems at one place
// keep their order: structural ones, then the rules'.
func (p *parsed) sortProblems(probs []Problem) {
	rank := func(pr Problem) int {
		key := pr.Path
		if pr.at != "" {
			key = pr.at
		}
		for i := len(key); i >= 0; i-- {
			if i == len(key) || key[i] == '.' || key[i] == '[' {
				if n, ok := p.order[key[:i]]; ok {
					return n
				}
			}
		}
		return -1
	}
	slices.SortStableFunc(probs, func(a, b Problem) int { return cmp.Compare(rank(a), rank(b)) })
}

// parse decodes data as well as it can and lists its structural problems.
func parse(data []byte) *parsed {
	if !utf8.Valid(data) {
		line, col := position(data, invalidUTF8At(data))
		return &parsed{probs: []Problem{{Line: line, Column: col, Msg: "the file is not UTF-8 text"}}}
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			line, col := position(data, max(0, int(se.Offset)-1))
			return &parsed{probs: []Problem{{Line: line, Column: col, Msg: "JSON syntax: " + strings.TrimPrefix(se.Error(), "json: ")}}}
		}
		return &parsed{probs: []Problem{{Line: 1, Column: 1, Msg: err.Error()}}}
	}
	root := readTree(data)
	w := &walker{bad: map[string]bool{}, order: map[string]int{}}
	w.walk(root, reflect.TypeFor[File](), "")

	// The typed decode fills what it can even past problems, so that the
	// rules can still be checked and every problem reported in one go.
	f := &File{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil && len(w.probs) == 0 {
		// The walker mirrors encoding/json; this is a safety net.
		w.probs = append(w.probs, Problem{Msg: err.Error()})
	}
	if !w.bad["format"] && f.Format != Format {
		w.add("format", fmt.Sprintf("must be %q (got %q)", Format, f.Format))
	}
	if !w.bad["version"] && f.Version != Version {
		w.add("version", fmt.Sprintf("must be %d: this courseshop reads version %d files (got %d)", Version, Version, f.Version))
	}
	return &parsed{file: f, probs: w.probs, bad: w.bad, order: w.order}
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// position converts a byte offset into a 1-based line and column (in
// characters) for messages.
func position(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[lineStart:])
}

// node is a parsed JSON value that keeps the order and duplicates of object
// keys, which map-based decoding loses.
type node struct {
	kind  byte // '{', '[', '"', '0' (number), 'b' (bool), 'n' (null)
	text  string
	keys  []string
	vals  []*node
	elems []*node
}

// readTree parses data, which must be valid JSON, into a node tree.
func readTree(data []byte) *node {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return readNode(dec)
}

func readNode(dec *json.Decoder) *node {
	tok, err := dec.Token()
	if err != nil {
		return &node{kind: 'n'} // unreachable: the input was validated
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			n := &node{kind: '{'}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, readNode(dec))
			}
			_, _ = dec.Token() // '}'
			return n
		}
		n := &node{kind: '['}
		for dec.More() {
			n.elems = append(n.elems, readNode(dec))
		}
		_, _ = dec.Token() // ']'
		return n
	case string:
		return &node{kind: '"', text: v}
	case json.Number:
		return &node{kind: '0', text: string(v)}
	case bool:
		return &node{kind: 'b'}
	}
	return &node{kind: 'n'}
}

func (n *node) describe() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 'b':
		return "true or false"
	}
	return "null"
}

// member returns the value of key in an object node, or nil.
func (n *node) member(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// walker checks a node tree against the file's Go types: the checks
// encoding/json makes with DisallowUnknownFields, but reporting every
// problem with its path instead of the first one only, and stricter where
// JSON decoding is lax (keys must match exactly and appear once).
type walker struct {
	probs []Problem
	bad   map[string]bool // paths whose value could not be decoded
	order map[string]int  // paths in the order met
}

func (w *walker) add(path, msg string) {
	w.probs = append(w.probs, Problem{Path: path, Msg: msg})
	w.bad[path] = true
}

func (w *walker) met(path string) {
	if _, ok := w.order[path]; !ok {
		w.order[path] = len(w.order)
	}
}

func (w *walker) walk(n *node, t reflect.Type, path string) {
	w.met(path)
	if t == reflect.TypeFor[json.RawMessage]() {
		return // any JSON value; the rules check what it must be
	}
	want := ""
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != '{' {
			want = "an object"
			break
		}
		w.walkStruct(n, t, path)
	case reflect.Map:
		if n.kind == 'n' {
			return
		}
		if n.kind != '{' {
			want = "an object"
			break
		}
		for i, k := range n.keys {
			p := mapPath(path, k)
			if n.member(k) != n.vals[i] {
				w.met(p)
				w.add(p, "duplicate key")
				continue
			}
			w.walk(n.vals[i], t.Elem(), p)
		}
	case reflect.Slice:
		if n.kind == 'n' {
			return
		}
		if n.kind != '[' {
			want = "a list"
			break
		}
		labels := w.labels(n, t.Elem())
		for i, e := range n.elems {
			w.walk(e, t.Elem(), path+labels[i])
		}
	case reflect.String:
		if n.kind != '"' {
			want = "a string"
		}
	case reflect.Int, reflect.Int64:
		if n.kind != '0' {
			want = "a whole number"
		} else if _, err := strconv.ParseInt(n.text, 10, t.Bits()); err != nil {
			w.add(path, fmt.Sprintf("must be a whole number (got %s)", n.text))
		}
	case reflect.Bool:
		if n.kind != 'b' {
			want = "true or false"
		}
	default:
		panic("catalogfile: no rule for " + t.String())
	}
	if want != "" {
		w.add(path, fmt.Sprintf("must be %s, not %s", want, n.describe()))
	}
}

func (w *walker) walkStruct(n *node, t reflect.Type, path string) {
	fields := map[string]reflect.StructField{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = f
		names = append(names, name)
	}
	for i, k := range n.keys {
		p := catalog.JoinPath(path, k)
		f, ok := fields[k]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown key %q", k)
			if s := suggest(k, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			// Shown on the object, which has the key, but sorted where
			// the key is.
			w.met(p)
			w.probs = append(w.probs, Problem{Path: path, Msg: msg, at: p})
		case n.member(k) != n.vals[i]:
			w.met(p)
			w.add(p, "duplicate key")
		default:
			w.walk(n.vals[i], f.Type, p)
		}
	}
}

// labels names the items of a list node like ItemLabels names the items of
// a decoded list, so both halves of validation locate problems alike.
func (w *walker) labels(n *node, elem reflect.Type) []string {
	keys := make([]string, len(n.elems))
	if field := keyField(elem); field != "" {
		for i, e := range n.elems {
			if e.kind == '{' {
				if v := e.member(field); v != nil && v.kind == '"' {
					keys[i] = v.text
				}
			}
		}
	}
	return catalog.ItemLabels(keys)
}

// keyField returns the JSON name of the field identifying items of type t.
func keyField(t reflect.Type) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("catalogfile") == "key" {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			return name
		}
	}
	return ""
}

// mapPath names a map entry: "texts.en", or `texts["e n"]` for keys that
// would not read as one path element.
func mapPath(path, key string) string { return catalog.JoinPath(path, catalog.KeyLabel(key)) }

// suggest returns the name closest to a mistyped key, if one is close.
func suggest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
		if d := distance(strings.ToLower(key), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
