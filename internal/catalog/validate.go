package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"courseshop/internal/lms"
	"courseshop/internal/money"
)

// FieldError is one problem with one field of an object. Field is the
// field's path inside the object, in the catalogue file's spelling, so that
// a form or a file importer can place the message: "code",
// "prices.EUR[1].up_to", "required_fields[company].pattern". Items of a
// list are named by their code in brackets when it identifies them, by their
// index from 0 otherwise (see ItemLabels).
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: message".
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Errors is every problem found in an object. Validation reports them all,
// not just the first, so that a user fixes a form or a file in one go.
type Errors []FieldError

// Add records a problem with field.
func (es *Errors) Add(field, msg string) { *es = append(*es, FieldError{Field: field, Msg: msg}) }

// Addf records a problem with field, formatted.
func (es *Errors) Addf(field, format string, args ...any) {
	es.Add(field, fmt.Sprintf(format, args...))
}

// Nest records the problems of a part of the object found at prefix
// ("prices.EUR", "rates[FR]"), naming their fields from the object.
func (es *Errors) Nest(prefix string, more []FieldError) {
	for _, e := range more {
		*es = append(*es, FieldError{Field: JoinPath(prefix, e.Field), Msg: e.Msg})
	}
}

// Error lists every problem, separated by "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns es as an error, or nil when there is no problem.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// JoinPath joins a path and a field of what it names: "prices" and "EUR"
// give "prices.EUR", "prices" and "[1]" give "prices[1]".
func JoinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case field[0] == '[':
		return prefix + field
	}
	return prefix + "." + field
}

// KeyLabel names a map entry in a field path: the key itself ("en",
// "EUR"), or the key quoted in brackets (`["e n"]`) when it would not read
// as one path element.
func KeyLabel(key string) string {
	simple := key != ""
	for i := range len(key) {
		c := key[i]
		if !(isCodeChar(c) && c != '.' || c == '*') {
			simple = false
		}
	}
	if simple {
		return key
	}
	return "[" + strconv.Quote(key) + "]"
}

// ItemLabels names the items of a list whose keys (codes, aliases, names)
// are keys: "[key]" when the key is non-empty, unique in the list and
// printable without brackets, "[index]" otherwise (a duplicated or missing
// code does not identify its item).
func ItemLabels(keys []string) []string {
	seen := make(map[string]int, len(keys))
	for _, k := range keys {
		seen[k]++
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		if k != "" && seen[k] == 1 && len(k) <= 64 && !strings.ContainsAny(k, "[]\"\n\r\t") {
			out[i] = "[" + k + "]"
		} else {
			out[i] = "[" + strconv.Itoa(i) + "]"
		}
	}
	return out
}

// Limits of the catalogue rules.
const (
	MaxCodeLen  = 32 // product, catalogue and tax class codes
	MaxAliasLen = 64 // category aliases, shop codes, required-field names
	MaxTiers    = 5  // price tiers per currency
	MaxRateBP   = 10000
)

// allOf reports whether s has 1 to maxLen bytes, each accepted by ok.
func allOf(s string, maxLen int, ok func(c byte) bool) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLowerOrDigit(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isCodeChar(c byte) bool {
	return isLowerOrDigit(c) || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.'
}

func isAliasChar(c byte) bool { return isLowerOrDigit(c) || c == '-' }

func isFieldNameChar(c byte) bool { return isLowerOrDigit(c) || c == '_' }

// CheckCode checks a product, catalogue or tax class code: 1 to 32
// characters among A-Z a-z 0-9 - _ and dot.
func CheckCode(code string) error {
	if !allOf(code, MaxCodeLen, isCodeChar) {
		return fmt.Errorf("must be 1 to %d characters among A-Z a-z 0-9 - _ . (got %q)", MaxCodeLen, code)
	}
	return nil
}

// CheckFieldName checks the name of a required-data field: 1 to 64
// characters among a-z 0-9 _ (the key of the answers).
func CheckFieldName(name string) error {
	if !allOf(name, MaxAliasLen, isFieldNameChar) {
		return fmt.Errorf("must be 1 to %d characters among a-z 0-9 _ (got %q)", MaxAliasLen, name)
	}
	return nil
}

// CheckAlias checks a category alias or a shop code: lower-case a-z, 0-9
// and "-", since it appears in URLs (/shop/{shop}/c/{alias}).
func CheckAlias(alias string) error {
	if !allOf(alias, MaxAliasLen, isAliasChar) {
		return fmt.Errorf("must be 1 to %d characters among a-z 0-9 - (got %q)", MaxAliasLen, alias)
	}
	return nil
}

// Locales returns the languages the shop is written in.
func Locales() []string { return []string{"en", "fr"} }

// CheckLocale checks a language code: one of Locales.
func CheckLocale(l string) error {
	if slices.Contains(Locales(), l) {
		return nil
	}
	return fmt.Errorf("must be %s (got %q)", strings.Join(Locales(), " or "), l)
}

// CheckCountry checks an ISO 3166-1 alpha-2 country code in upper case.
func CheckCountry(c string) error {
	bad := fmt.Errorf("must be an ISO 3166-1 alpha-2 country code such as FR (got %q)", c)
	if len(c) != 2 || strings.ToUpper(c) != c {
		return bad
	}
	r, err := language.ParseRegion(c)
	if err != nil || !r.IsCountry() {
		return bad
	}
	return nil
}

// CheckCurrency checks an ISO 4217 currency code the money package knows.
func CheckCurrency(code string) error {
	if _, err := money.Digits(code); err != nil {
		return fmt.Errorf("must be an ISO 4217 currency code such as EUR (got %q)", code)
	}
	return nil
}

func oneOf[T ~string](v T, values ...T) error {
	if slices.Contains(values, v) {
		return nil
	}
	names := make([]string, len(values))
	for i, x := range values {
		names[i] = string(x)
	}
	return fmt.Errorf("must be one of %s (got %q)", strings.Join(names, ", "), string(v))
}

// Check reports whether k is a known kind.
func (k Kind) Check() error { return oneOf(k, KindProduct, KindSet, KindBundle) }

// Check reports whether s is a known status.
func (s Status) Check() error {
	return oneOf(s, StatusPreview, StatusAvailable, StatusInternal, StatusComplement, StatusSuspended, StatusExhausted)
}

// Check reports whether a is a known audience.
func (a Audience) Check() error {
	return oneOf(a, AudienceEveryone, AudienceSignedIn, AudienceCustomers, AudienceGuests)
}

// Check reports whether m is a known seat mode.
func (m SeatMode) Check() error { return oneOf(m, SeatNone, SeatOne, SeatPerUnit) }

// Check reports whether t is a known field type.
func (t FieldType) Check() error {
	return oneOf(t, FieldText, FieldTextarea, FieldCheckbox, FieldSelect)
}

// CheckElementKind checks that a product of kind k may be an element of a
// set or bundle: sets and bundles do not nest, so that a cart line expands
// one level only.
func CheckElementKind(k Kind) error {
	if k != KindProduct {
		return fmt.Errorf("is a %s; an element must be a plain product, not a set or bundle", k)
	}
	return nil
}

// ValidateTiers checks the price tiers of one currency: 1 to 5 tiers, all
// in the same currency, with non-negative prices and up_to bounds that
// increase strictly, where only the last may be 0 (no bound). Fields are
// "[i].up_to" and "[i].unit".
func ValidateTiers(tiers []Tier) []FieldError {
	var es Errors
	if len(tiers) == 0 || len(tiers) > MaxTiers {
		es.Addf("", "must have 1 to %d tiers (got %d)", MaxTiers, len(tiers))
	}
	for i, t := range tiers {
		at := "[" + strconv.Itoa(i) + "]"
		if t.Unit.Currency() != tiers[0].Unit.Currency() {
			es.Addf(at+".unit", "is in %s; every tier of a list must be in %s", t.Unit.Currency(), tiers[0].Unit.Currency())
		}
		if t.Unit.IsNegative() {
			es.Addf(at+".unit", "must not be negative (got %s)", t.Unit.Decimal())
		}
		switch {
		case t.UpTo < 0:
			es.Addf(at+".up_to", "must not be negative (got %d)", t.UpTo)
		case t.UpTo == 0 && i < len(tiers)-1:
			es.Add(at+".up_to", "only the last tier may be 0 (no bound)")
		case t.UpTo > 0 && i > 0 && tiers[i-1].UpTo > 0 && t.UpTo <= tiers[i-1].UpTo:
			es.Addf(at+".up_to", "must be greater than the previous tier's %d: bounds increase strictly", tiers[i-1].UpTo)
		}
	}
	return es
}

// ValidatePrices checks a product's prices currency by currency (the tiers
// of each currency, in the order given). Fields are "EUR[1].up_to".
func ValidatePrices(prices []Tier) []FieldError {
	var es Errors
	var order []string
	byCurrency := map[string][]Tier{}
	for _, t := range prices {
		c := t.Unit.Currency()
		if _, ok := byCurrency[c]; !ok {
			order = append(order, c)
		}
		byCurrency[c] = append(byCurrency[c], t)
	}
	for _, c := range order {
		if c == "" {
			es.Add("", "a price has no currency")
			continue
		}
		es.Nest(KeyLabel(c), ValidateTiers(byCurrency[c]))
	}
	return es
}

// ValidateTexts checks localised wording: known languages, each with a
// name. Fields are "en.name".
func ValidateTexts(texts Texts) []FieldError {
	var es Errors
	for _, lang := range sortedLangs(texts) {
		at := KeyLabel(lang)
		if err := CheckLocale(lang); err != nil {
			es.Add(at, "language "+err.Error())
		}
		if strings.TrimSpace(texts[lang].Name) == "" {
			es.Add(JoinPath(at, "name"), "is required")
		}
	}
	return es
}

func sortedLangs[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func checkLabels(es *Errors, field string, labels map[string]string) {
	for _, lang := range sortedLangs(labels) {
		if err := CheckLocale(lang); err != nil {
			es.Add(JoinPath(field, KeyLabel(lang)), "language "+err.Error())
		}
	}
}

// ValidateFields checks a product's required-data fields: names of a-z 0-9 _
// unique in the product, known types, options for (and only for) select
// fields, patterns that compile, sensible lengths. Fields are
// "[company].pattern".
func ValidateFields(fields []Field) []FieldError {
	var es Errors
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	labels := ItemLabels(names)
	seen := map[string]bool{}
	for i, f := range fields {
		at := labels[i]
		if err := CheckFieldName(f.Name); err != nil {
			es.Add(at+".name", err.Error())
		} else if seen[f.Name] {
			es.Addf(at+".name", "duplicate field name %q", f.Name)
		}
		seen[f.Name] = true
		if err := f.Type.Check(); err != nil {
			es.Add(at+".type", err.Error())
		}
		if len(f.Label) == 0 {
			es.Add(at+".label", "is required, in at least one language")
		}
		checkLabels(&es, at+".label", f.Label)
		checkLabels(&es, at+".help", f.Help)
		if f.Pattern != "" {
			if _, err := regexp.Compile(f.Pattern); err != nil {
				es.Addf(at+".pattern", "does not compile: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		}
		if f.MinLength < 0 {
			es.Addf(at+".min_length", "must not be negative (got %d)", f.MinLength)
		}
		if f.MaxLength < 0 {
			es.Addf(at+".max_length", "must not be negative (got %d)", f.MaxLength)
		} else if f.MaxLength > 0 && f.MinLength > f.MaxLength {
			es.Addf(at+".max_length", "must not be less than min_length %d", f.MinLength)
		}
		switch {
		case f.Type == FieldSelect && len(f.Options) == 0:
			es.Add(at+".options", "a select field needs options")
		case f.Type != FieldSelect && len(f.Options) > 0:
			es.Add(at+".options", "only select fields have options")
		}
		values := make([]string, len(f.Options))
		for j, o := range f.Options {
			values[j] = o.Value
		}
		olabels := ItemLabels(values)
		seenValue := map[string]bool{}
		for j, o := range f.Options {
			oat := at + ".options" + olabels[j]
			switch {
			case o.Value == "":
				es.Add(oat+".value", "is required")
			case seenValue[o.Value]:
				es.Addf(oat+".value", "duplicate option %q", o.Value)
			}
			seenValue[o.Value] = true
			checkLabels(&es, oat+".label", o.Label)
		}
	}
	return es
}

// Validate checks what a product must satisfy on its own: code syntax,
// known kind, status, audience and seat mode, non-negative limits, prices,
// texts, required fields and elements. A set has no price or handler of its
// own; sets and bundles list elements, other products none. Rules that need
// other objects (an element's own kind, a price in every selling shop's
// currency) are the caller's: see CheckElementKind.
func (p *Product) Validate() []FieldError {
	var es Errors
	if err := CheckCode(p.Code); err != nil {
		es.Add("code", err.Error())
	}
	for _, c := range []struct {
		field string
		err   error
	}{{"kind", p.Kind.Check()}, {"status", p.Status.Check()}, {"audience", p.Audience.Check()}, {"seat_mode", p.SeatMode.Check()}} {
		if c.err != nil {
			es.Add(c.field, c.err.Error())
		}
	}
	if p.MaxQuantity < 0 {
		es.Addf("max_quantity", "must not be negative (got %d); 0 means no limit", p.MaxQuantity)
	}
	if p.StockLimit < 0 {
		es.Addf("stock_limit", "must not be negative (got %d); 0 means no limit", p.StockLimit)
	}
	es.Nest("texts", ValidateTexts(p.Texts))
	es.Nest("prices", ValidatePrices(p.Prices))
	es.Nest("required_fields", ValidateFields(p.RequiredFields))
	if len(p.HandlerParams) > 0 && !isJSONObject(p.HandlerParams) {
		es.Add("handler_params", "must be a JSON object")
	}
	switch p.Kind {
	case KindSet:
		if len(p.Prices) > 0 {
			es.Add("prices", "a set has no price of its own: its elements are bought individually")
		}
		if p.Handler != "" {
			es.Add("handler", "a set has no handler: its elements are produced individually")
		}
		fallthrough
	case KindBundle:
		if len(p.Elements) == 0 {
			es.Addf("elements", "a %s needs at least one element", p.Kind)
		}
	default:
		if len(p.Elements) > 0 {
			es.Add("elements", "only sets and bundles have elements")
		}
	}
	seen := map[int64]bool{}
	for i, e := range p.Elements {
		at := "elements[" + strconv.Itoa(i) + "]"
		if e.Quantity < 1 {
			es.Addf(at+".quantity", "must be at least 1 (got %d)", e.Quantity)
		}
		switch {
		case e.ProductID != 0 && e.ProductID == p.ID:
			es.Add(at, "a product cannot be an element of itself")
		case e.ProductID != 0 && seen[e.ProductID]:
			es.Add(at, "duplicate element")
		}
		seen[e.ProductID] = true
	}
	return es
}

func isJSONObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

// Validate checks a category on its own: alias syntax, texts, and that it is
// not its own parent. That the parent belongs to the same catalogue and
// makes no cycle is the caller's to check.
func (c *Category) Validate() []FieldError {
	var es Errors
	if err := CheckAlias(c.Alias); err != nil {
		es.Add("alias", err.Error())
	}
	if c.ID != 0 && c.ParentID == c.ID {
		es.Add("parent", "a category cannot be its own parent")
	}
	es.Nest("texts", ValidateTexts(c.Texts))
	return es
}

// Validate checks a catalogue: code syntax and a name.
func (c *Catalog) Validate() []FieldError {
	var es Errors
	if err := CheckCode(c.Code); err != nil {
		es.Add("code", err.Error())
	}
	if strings.TrimSpace(c.Name) == "" {
		es.Add("name", "is required")
	}
	return es
}

// Validate checks a tax class: code syntax, a name, and rates for distinct
// countries (or "*") between 0 and 100 %. Rates are named by country:
// "rates[FR].rate_bp".
func (tc *TaxClass) Validate() []FieldError {
	var es Errors
	if err := CheckCode(tc.Code); err != nil {
		es.Add("code", err.Error())
	}
	if strings.TrimSpace(tc.Name) == "" {
		es.Add("name", "is required")
	}
	countries := make([]string, len(tc.Rates))
	for i, r := range tc.Rates {
		countries[i] = r.Country
	}
	labels := ItemLabels(countries)
	seen := map[string]bool{}
	for i, r := range tc.Rates {
		at := "rates" + labels[i]
		if r.Country != "*" {
			if err := CheckCountry(r.Country); err != nil {
				es.Add(at+".country", err.Error()+" or * for every other country")
			}
		}
		if seen[r.Country] {
			es.Addf(at+".country", "duplicate rate for %q", r.Country)
		}
		seen[r.Country] = true
		if r.RateBP < 0 || r.RateBP > MaxRateBP {
			es.Addf(at+".rate_bp", "must be between 0 and %d basis points (100 %%), got %d", MaxRateBP, r.RateBP)
		}
	}
	return es
}

// LMSConnectors returns the connectors a shop can produce through.
func LMSConnectors() []string { return []string{lms.ConnectorLocal, lms.ConnectorMoodle} }

// Validate checks a shop on its own: code syntax (an alias: it is in URLs),
// a name, currency, default locale, payment modes (the guest modes a subset
// of them), checkout steps, the seller's country and the LMS connector.
// That its catalogue exists and prices every product in its currency is the
// caller's to check.
func (sh *Shop) Validate() []FieldError {
	var es Errors
	if err := CheckAlias(sh.Code); err != nil {
		es.Add("code", err.Error())
	}
	if strings.TrimSpace(sh.Name) == "" {
		es.Add("name", "is required")
	}
	if err := CheckCurrency(sh.Currency); err != nil {
		es.Add("currency", err.Error())
	}
	if err := CheckLocale(sh.DefaultLocale); err != nil {
		es.Add("default_locale", err.Error())
	}
	checkNames(&es, "payment_modes", sh.PaymentModes)
	checkNames(&es, "guest_payment_modes", sh.GuestPaymentModes)
	checkNames(&es, "checkout_steps", sh.CheckoutSteps)
	modes := map[string]bool{}
	for _, m := range sh.PaymentModes {
		modes[m] = true
	}
	for i, m := range sh.GuestPaymentModes {
		if m != "" && !modes[m] {
			es.Addf("guest_payment_modes["+strconv.Itoa(i)+"]", "%q is not among payment_modes: guests get a subset of the shop's modes", m)
		}
	}
	if sh.Seller.Country != "" {
		if err := CheckCountry(sh.Seller.Country); err != nil {
			es.Add("seller.country", err.Error())
		}
	}
	if err := oneOf(sh.LMSConnector, LMSConnectors()...); err != nil {
		es.Add("lms_connector", err.Error())
	}
	if sh.MoodleURL != "" {
		if _, err := lms.ParseSiteURL(sh.MoodleURL); err != nil {
			es.Add("moodle_url", err.Error())
		} else if sh.LMSConnector != lms.ConnectorMoodle {
			es.Add("moodle_url", "is only for a shop whose lms_connector is moodle")
		}
	}
	return es
}

// checkNames checks a list of identifiers: non-empty and distinct.
func checkNames(es *Errors, field string, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		at := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case strings.TrimSpace(n) == "":
			es.Add(at, "must not be empty")
		case seen[n]:
			es.Addf(at, "duplicate %q", n)
		}
		seen[n] = true
	}
}
