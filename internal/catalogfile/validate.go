package catalogfile

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
)

// Problem is one thing wrong with a catalogue file: where, and what.
type Problem struct {
	// Path locates the problem in the document, with codes in brackets
	// where they identify an item and indexes from 0 otherwise:
	// "catalogs[demo].products[PM-101].prices.EUR[1].unit". Empty for the
	// whole document or a syntax error.
	Path string
	// Line and Column (from 1) locate syntax errors; 0 otherwise.
	Line, Column int
	Msg          string

	at string // where to sort the problem, when not at Path
}

// ValidationError lists every problem found in a catalogue file. An import
// that returns it has changed nothing.
type ValidationError struct {
	File     string // the file's name, as shown in Lines
	Problems []Problem
}

// Lines returns one line per problem: "FILE: path: message", or
// "FILE:line:column: message" for a syntax error.
func (e *ValidationError) Lines() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		switch {
		case p.Line > 0:
			out[i] = fmt.Sprintf("%s:%d:%d: %s", e.File, p.Line, p.Column, p.Msg)
		case p.Path != "":
			out[i] = fmt.Sprintf("%s: %s: %s", e.File, p.Path, p.Msg)
		default:
			out[i] = fmt.Sprintf("%s: %s", e.File, p.Msg)
		}
	}
	return out
}

// Error returns every line of Lines.
func (e *ValidationError) Error() string { return strings.Join(e.Lines(), "\n") }

// labelsOf names the items of a list by their key, as ItemLabels does.
func labelsOf[T any](items []T, key func(T) string) []string {
	keys := make([]string, len(items))
	for i, x := range items {
		keys[i] = key(x)
	}
	return catalog.ItemLabels(keys)
}

// checker applies the rules of the format to a decoded file, given what
// the database already holds, and collects every problem.
type checker struct {
	f     *File
	st    *state
	media map[string]*mediaFile
	bad   map[string]bool // paths with structural problems, already reported
	probs []Problem

	handlers Handlers // nil: handlers are not checked

	fileCatalogs  map[string]*Catalog
	productPaths  map[string]map[string]string // catalogue → product code → path
	categoryPaths map[string]map[string]string // catalogue → alias → path
}

func (c *checker) add(path, msg string) {
	// A value that could not be decoded has been reported once; what the
	// rules say about its zero value would only be noise.
	for i := 0; i <= len(path); i++ {
		if (i == len(path) || path[i] == '.' || path[i] == '[') && c.bad[path[:i]] {
			return
		}
	}
	c.probs = append(c.probs, Problem{Path: path, Msg: msg})
}

func (c *checker) nest(prefix string, es []catalog.FieldError) {
	for _, e := range es {
		c.add(catalog.JoinPath(prefix, e.Field), e.Msg)
	}
}

func (c *checker) run() {
	f := c.f
	c.fileCatalogs = map[string]*Catalog{}
	c.productPaths = map[string]map[string]string{}
	c.categoryPaths = map[string]map[string]string{}

	fileTax := map[string]bool{}
	taxLabels := labelsOf(f.TaxClasses, func(t TaxClass) string { return t.Code })
	for i, tc := range f.TaxClasses {
		at := "tax_classes" + taxLabels[i]
		c.nest(at, domainTaxClass(tc).Validate())
		if fileTax[tc.Code] && tc.Code != "" {
			c.add(at+".code", fmt.Sprintf("duplicate tax class %q", tc.Code))
		}
		fileTax[tc.Code] = true
	}
	taxExists := func(code string) bool { return fileTax[code] || c.st.taxClasses[code] != nil }

	catLabels := labelsOf(f.Catalogs, func(x Catalog) string { return x.Code })
	for i := range f.Catalogs {
		cat := &f.Catalogs[i]
		at := "catalogs" + catLabels[i]
		c.nest(at, domainCatalog(*cat).Validate())
		if c.fileCatalogs[cat.Code] != nil && cat.Code != "" {
			c.add(at+".code", fmt.Sprintf("duplicate catalogue %q", cat.Code))
		} else {
			c.fileCatalogs[cat.Code] = cat
		}
	}
	for i := range f.Catalogs {
		c.checkCatalog("catalogs"+catLabels[i], &f.Catalogs[i], taxExists)
	}

	shopLabels := labelsOf(f.Shops, func(s Shop) string { return s.Code })
	seen := map[string]bool{}
	for i, sh := range f.Shops {
		at := "shops" + shopLabels[i]
		c.nest(at, domainShop(sh).Validate())
		if seen[sh.Code] && sh.Code != "" {
			c.add(at+".code", fmt.Sprintf("duplicate shop %q", sh.Code))
		}
		seen[sh.Code] = true
		switch {
		case sh.Catalog == "":
			c.add(at+".catalog", "is required: the code of the catalogue the shop sells")
		case c.fileCatalogs[sh.Catalog] == nil && c.st.catalogs[sh.Catalog] == nil:
			c.add(at+".catalog", fmt.Sprintf("unknown catalogue %q: not in the file nor in the database", sh.Catalog))
		}
	}
	c.checkSelling(shopLabels)
}

func (c *checker) checkCatalog(at string, cat *Catalog, taxExists func(string) bool) {
	dc := c.st.catalogs[cat.Code] // nil for a new catalogue

	labels := labelsOf(cat.Categories, func(x Category) string { return x.Alias })
	fileCat := map[string]*Category{}
	catPaths := map[string]string{}
	for i := range cat.Categories {
		x := &cat.Categories[i]
		xat := at + ".categories" + labels[i]
		c.nest(xat, domainCategory(*x).Validate())
		if fileCat[x.Alias] != nil && x.Alias != "" {
			c.add(xat+".alias", fmt.Sprintf("duplicate category %q in catalogue %s", x.Alias, cat.Code))
			continue
		}
		fileCat[x.Alias], catPaths[x.Alias] = x, xat
	}
	if _, dup := c.categoryPaths[cat.Code]; !dup {
		c.categoryPaths[cat.Code] = catPaths
	}
	// parentOf returns the parent alias a category will have after the
	// import: the file's word, else the database's.
	parentOf := func(alias string) (string, bool) {
		if x := fileCat[alias]; x != nil {
			return x.Parent, true
		}
		if dc != nil {
			if y := dc.categories[alias]; y != nil {
				if p := dc.categoryByID[y.ParentID]; p != nil {
					return p.Alias, true
				}
				return "", true
			}
		}
		return "", false
	}
	for i, x := range cat.Categories {
		pat := at + ".categories" + labels[i] + ".parent"
		if x.Parent == "" {
			continue
		}
		if x.Parent == x.Alias {
			c.add(pat, "a category cannot be its own parent")
			continue
		}
		if _, ok := parentOf(x.Parent); !ok {
			c.add(pat, fmt.Sprintf("unknown category %q in catalogue %s", x.Parent, cat.Code))
			continue
		}
		chain, seen := []string{x.Alias}, map[string]bool{x.Alias: true}
		for cur, ok := x.Parent, true; ok && cur != ""; cur, ok = parentOf(cur) {
			chain = append(chain, cur)
			if cur == x.Alias {
				c.add(pat, "makes a cycle: "+strings.Join(chain, " → "))
				break
			}
			if seen[cur] {
				break // a cycle above, reported on its own members
			}
			seen[cur] = true
		}
	}
	categoryExists := func(alias string) bool { _, ok := parentOf(alias); return ok }

	// Products get provisional IDs (the database's, or negative ones for
	// new products) so that the domain rules can tell elements apart.
	ids := map[string]int64{}
	if dc != nil {
		for code, p := range dc.products {
			ids[code] = p.ID
		}
	}
	next := int64(-1)
	for _, p := range cat.Products {
		if _, ok := ids[p.Code]; !ok {
			ids[p.Code] = next
			next--
		}
	}
	plabels := labelsOf(cat.Products, func(p Product) string { return p.Code })
	fileProd := map[string]*Product{}
	paths := map[string]string{}
	for i := range cat.Products {
		p := &cat.Products[i]
		pat := at + ".products" + plabels[i]
		if fileProd[p.Code] != nil && p.Code != "" {
			c.add(pat+".code", fmt.Sprintf("duplicate product %q in catalogue %s", p.Code, cat.Code))
		} else {
			fileProd[p.Code], paths[p.Code] = p, pat
		}
	}
	if _, dup := c.productPaths[cat.Code]; !dup {
		c.productPaths[cat.Code] = paths
	}
	kindOf := func(code string) catalog.Kind {
		if p := fileProd[code]; p != nil {
			return catalog.Kind(p.Kind)
		}
		return dc.products[code].Kind // ids holds only file and database codes
	}
	for i := range cat.Products {
		p := &cat.Products[i]
		pat := at + ".products" + plabels[i]
		c.checkProduct(pat, cat.Code, p, ids, kindOf)
		if p.Category != "" && !categoryExists(p.Category) {
			c.add(pat+".category", fmt.Sprintf("unknown category %q in catalogue %s", p.Category, cat.Code))
		}
		if p.TaxClass != "" && !taxExists(p.TaxClass) {
			c.add(pat+".tax_class", fmt.Sprintf("unknown tax class %q: not in the file nor in the database", p.TaxClass))
		}
	}
	// A product the file turns into a set or bundle must not be an element
	// of a set or bundle that only the database holds.
	if dc != nil {
		for _, code := range slices.Sorted(maps.Keys(dc.products)) {
			parent := dc.products[code]
			if fileProd[code] != nil {
				continue // the file gives its elements
			}
			for _, e := range parent.Elements {
				el := dc.productByID[e.ProductID]
				if el == nil || fileProd[el.Code] == nil {
					continue
				}
				if err := catalog.CheckElementKind(catalog.Kind(fileProd[el.Code].Kind)); err != nil {
					c.add(paths[el.Code]+".kind", fmt.Sprintf("must stay %q: it is an element of %s %s, already in the database", catalog.KindProduct, parent.Kind, parent.Code))
				}
			}
		}
	}
}

func (c *checker) checkProduct(at, catCode string, p *Product, ids map[string]int64, kindOf func(string) catalog.Kind) {
	q := *p
	q.HandlerParams = compactJSON(p.HandlerParams)
	dp := domainProduct(q)
	dp.ID = ids[p.Code]

	elabels := labelsOf(p.Elements, func(e Element) string { return e.Code })
	unknown := map[string]int64{}
	for j, e := range p.Elements {
		id, ok := ids[e.Code]
		switch {
		case !ok:
			if unknown[e.Code] == 0 {
				unknown[e.Code] = int64(-1_000_000 - len(unknown))
			}
			id = unknown[e.Code]
			c.add(at+".elements"+elabels[j]+".code", fmt.Sprintf("unknown product %q in catalogue %s", e.Code, catCode))
		case e.Code != p.Code:
			if err := catalog.CheckElementKind(kindOf(e.Code)); err != nil {
				c.add(at+".elements"+elabels[j]+".code", e.Code+" "+err.Error())
			}
		}
		dp.Elements = append(dp.Elements, catalog.Element{ProductID: id, Quantity: e.Quantity})
	}
	for _, e := range dp.Validate() {
		c.add(catalog.JoinPath(at, relabel(e.Field, "elements", elabels)), e.Msg)
	}

	for _, cur := range slices.Sorted(maps.Keys(p.Prices)) {
		cat := mapPath(at+".prices", cur)
		if err := catalog.CheckCurrency(cur); err != nil {
			c.add(cat, "currency "+err.Error())
			continue
		}
		tiers := p.Prices[cur]
		if len(tiers) == 0 {
			c.add(cat, fmt.Sprintf("must have 1 to %d tiers (got 0)", catalog.MaxTiers))
		}
		digits, _ := money.Digits(cur)
		for j, t := range tiers {
			if _, err := money.Parse(t.Unit, cur); err != nil {
				c.add(cat+"["+strconv.Itoa(j)+"].unit", fmt.Sprintf("must be an exact amount in %s with at most %d decimals, such as %q (got %q)",
					cur, digits, example(cur), t.Unit))
			}
		}
	}

	switch {
	case p.Passcode != "" && p.PasscodeHash != "":
		c.add(at+".passcode", "give passcode or passcode_hash, not both")
	case p.PasscodeHash != "" && !plausibleHash(p.PasscodeHash):
		c.add(at+".passcode_hash", "is not an argon2id hash as export writes it ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
	}

	c.checkHandler(at, p.Handler, q.HandlerParams)

	c.checkMedia(at+".thumbnail", p.Thumbnail, false)
	c.checkMedia(at+".picture", p.Picture, false)
	c.checkMedia(at+".leaflet", p.Leaflet, true)
}

// checkHandler checks a product's production handler and its parameters
// against c.handlers, when Import was given them.
func (c *checker) checkHandler(at, handler string, params json.RawMessage) {
	if c.handlers == nil || handler == "" {
		return
	}
	names := c.handlers.Names()
	if !slices.Contains(names, handler) {
		c.add(at+".handler", fmt.Sprintf("unknown handler %q (want one of %s)", handler, strings.Join(names, ", ")))
		return
	}
	if err := c.handlers.Validate(handler, params); err != nil {
		c.add(at+".handler_params", err.Error())
	}
}

// plausibleHash checks the shape of an argon2id PHC string without
// computing anything: its cost parameters come from the file, and a typo
// such as m=1900000000 must not make the import (or a later purchase)
// allocate gigabytes.
func plausibleHash(h string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return false
	}
	var m, t, p int
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); n != 3 || err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return false
	}
	if m < 8 || m > 1<<20 || t < 1 || t > 16 || p < 1 || p > 16 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	return err1 == nil && err2 == nil && len(salt) >= 8 && len(key) >= 16
}

// example returns 490 in currency cur, as it should be written.
func example(cur string) string {
	m, err := money.New(49000, cur)
	if err != nil {
		return "490"
	}
	return m.Decimal()
}

// relabel renames the items of a list in a domain field path, which uses
// indexes, with the file's labels: "elements[2].quantity" becomes
// "elements[PM-101].quantity".
func relabel(field, list string, labels []string) string {
	rest, ok := strings.CutPrefix(field, list+"[")
	if !ok {
		return field
	}
	num, after, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || i < 0 || i >= len(labels) {
		return field
	}
	return list + labels[i] + after
}

func (c *checker) checkMedia(at, ref string, leaflet bool) {
	if ref == "" {
		return
	}
	if isURLRef(ref) {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			c.add(at, fmt.Sprintf("must be a path relative to the catalogue file or an https:// URL (got %q)", ref))
		}
		return
	}
	m := c.media[ref]
	switch {
	case m == nil:
		c.add(at, "was not read") // unreachable: loadMedia reads every path
	case m.err != nil:
		c.add(at, m.err.Error())
	case leaflet && m.contentType != "application/pdf":
		c.add(at, fmt.Sprintf("a leaflet must be a PDF file (%s is %s)", ref, m.contentType))
	case !leaflet && !strings.HasPrefix(m.contentType, "image/"):
		c.add(at, fmt.Sprintf("must be a PNG, JPEG, WebP or SVG image (%s is %s)", ref, m.contentType))
	}
}

// seller is a shop selling a catalogue, from the file or the database.
type seller struct {
	code, currency, locale string
	path                   string // "" for a shop only in the database
}

// checkSelling checks that every shop selling a catalogue has what it
// needs of every product and category: a price in its currency (sets
// excepted) and a name in its default language. Pairs where neither side
// comes from the file are not this import's business.
func (c *checker) checkSelling(shopLabels []string) {
	sellers := map[string][]seller{} // by catalogue code
	inFile := map[string]bool{}
	for i, sh := range c.f.Shops {
		inFile[sh.Code] = true
		if catalog.CheckCurrency(sh.Currency) != nil || catalog.CheckLocale(sh.DefaultLocale) != nil {
			continue // reported already
		}
		sellers[sh.Catalog] = append(sellers[sh.Catalog], seller{sh.Code, sh.Currency, sh.DefaultLocale, "shops" + shopLabels[i]})
	}
	for _, code := range slices.Sorted(maps.Keys(c.st.shops)) {
		sh := c.st.shops[code]
		if inFile[code] {
			continue
		}
		if dc := c.st.catByID[sh.CatalogID]; dc != nil {
			sellers[dc.Code] = append(sellers[dc.Code], seller{sh.Code, sh.Currency, sh.DefaultLocale, ""})
		}
	}
	for _, catCode := range slices.Sorted(maps.Keys(sellers)) {
		c.checkSold(catCode, sellers[catCode])
	}
}

func (c *checker) checkSold(catCode string, sellers []seller) {
	fc, dc := c.fileCatalogs[catCode], c.st.catalogs[catCode]
	type item struct {
		code, kind string
		path       string // "" when only in the database
		currencies map[string]bool
		names      map[string]bool
	}
	var products, categories []item
	inFile, fileCats := map[string]bool{}, map[string]bool{}
	if fc != nil {
		for _, p := range fc.Products {
			path := c.productPaths[catCode][p.Code]
			if path == "" || inFile[p.Code] {
				continue // duplicate, reported
			}
			inFile[p.Code] = true
			it := item{code: p.Code, kind: p.Kind, path: path, currencies: map[string]bool{}, names: map[string]bool{}}
			for cur, tiers := range p.Prices {
				it.currencies[cur] = len(tiers) > 0
			}
			for lang, t := range p.Texts {
				it.names[lang] = strings.TrimSpace(t.Name) != ""
			}
			products = append(products, it)
		}
		for _, x := range fc.Categories {
			path := c.categoryPaths[catCode][x.Alias]
			if path == "" || fileCats[x.Alias] {
				continue // duplicate, reported
			}
			fileCats[x.Alias] = true
			it := item{code: x.Alias, path: path, names: map[string]bool{}}
			for lang, t := range x.Texts {
				it.names[lang] = strings.TrimSpace(t.Name) != ""
			}
			categories = append(categories, it)
		}
	}
	if dc != nil {
		for _, code := range slices.Sorted(maps.Keys(dc.products)) {
			p := dc.products[code]
			if inFile[code] {
				continue
			}
			it := item{code: code, kind: string(p.Kind), currencies: map[string]bool{}, names: map[string]bool{}}
			for _, t := range p.Prices {
				it.currencies[t.Unit.Currency()] = true
			}
			for lang, t := range p.Texts {
				it.names[lang] = t.Name != ""
			}
			products = append(products, it)
		}
		for _, alias := range slices.Sorted(maps.Keys(dc.categories)) {
			if fileCats[alias] {
				continue
			}
			it := item{code: alias, names: map[string]bool{}}
			for lang, t := range dc.categories[alias].Texts {
				it.names[lang] = t.Name != ""
			}
			categories = append(categories, it)
		}
	}
	// Group the shops that need the same currency or language, so that a
	// product missing a price says so once.
	byCurrency, byLocale := map[string][]seller{}, map[string][]seller{}
	for _, s := range sellers {
		byCurrency[s.currency] = append(byCurrency[s.currency], s)
		byLocale[s.locale] = append(byLocale[s.locale], s)
	}
	for _, p := range products {
		if p.kind != string(catalog.KindSet) {
			for _, cur := range slices.Sorted(maps.Keys(byCurrency)) {
				if !p.currencies[cur] {
					c.missing(p.path, "prices", "product", catCode, p.code, byCurrency[cur],
						fmt.Sprintf("no price in %s", cur), "currency")
				}
			}
		}
		c.missingNames(p.path, "product", catCode, p.code, p.names, byLocale)
	}
	for _, x := range categories {
		c.missingNames(x.path, "category", catCode, x.code, x.names, byLocale)
	}
}

func (c *checker) missingNames(path, what, catCode, code string, names map[string]bool, byLocale map[string][]seller) {
	for _, lang := range slices.Sorted(maps.Keys(byLocale)) {
		if !names[lang] {
			c.missing(path, "texts", what, catCode, code, byLocale[lang], "no name in "+lang, "default_locale")
		}
	}
}

// missing reports that an item lacks what some shops need: on the item
// when the file holds it, else on each shop of the file that needs it.
func (c *checker) missing(itemPath, field, what, catCode, code string, shops []seller, lack, shopField string) {
	var codes []string
	for _, s := range shops {
		codes = append(codes, s.code)
	}
	if itemPath != "" {
		who := "shop " + codes[0] + ", which sells"
		if len(codes) > 1 {
			who = "shops " + strings.Join(codes, ", ") + ", which sell"
		}
		c.add(itemPath+"."+field, fmt.Sprintf("%s, needed by %s catalogue %s", lack, who, catCode))
		return
	}
	for _, s := range shops {
		if s.path != "" {
			c.add(s.path+"."+shopField, fmt.Sprintf("%s %s of catalogue %s, already in the database, has %s", what, code, catCode, lack))
		}
	}
}
