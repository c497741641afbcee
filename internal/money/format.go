package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bojanz/currency"
)

// Decimal returns the amount in major units as a plain decimal string with a
// dot separator, no grouping and exactly Digits fraction digits: "1234.50",
// "-0.05", "100" for JPY, "1.234" for BHD. Parse accepts it back unchanged.
// The zero Money yields "0".
func (m Money) Decimal() string {
	if m.currency == "" {
		return "0"
	}
	digits, err := Digits(m.currency)
	if err != nil {
		// Unreachable for values built by this package, which validate the
		// code; a plain integer is still better than a panic in a log line.
		return strconv.FormatInt(m.amount, 10)
	}
	s := strconv.FormatUint(abs(m.amount), 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if m.amount < 0 {
		s = "-" + s
	}
	return s
}

// String returns the plain decimal amount and the code, such as
// "1234.50 EUR", or "0 (no currency)" for the zero Money. It is meant for
// logs and debugging; use Format for text shown to people.
func (m Money) String() string {
	if m.currency == "" {
		return "0 (no currency)"
	}
	return m.Decimal() + " " + m.currency
}

// defaultLocale is used for empty locales; bojanz/currency itself falls back
// to "en" for locales it has no CLDR data for.
const defaultLocale = "en"

// maxCachedFormatters bounds the formatter cache: locales often come from
// Accept-Language headers, and an attacker must not be able to grow the
// cache without limit by sending made-up locales.
const maxCachedFormatters = 256

var (
	// formatters maps a normalized locale ID to a *currency.Formatter.
	// Formatters are never modified after being stored, which is what makes
	// sharing them between goroutines safe.
	formatters       sync.Map
	cachedFormatters atomic.Int64
)

// Format formats m for display in locale, a BCP 47 tag such as "en", "fr" or
// "de-CH", using CLDR data from bojanz/currency: "€1,234.50" in en,
// "1 234,50 €" in fr (with U+202F/U+00A0 spaces as CLDR prescribes).
// Unknown locales fall back to en. The zero Money is formatted as by String.
func (m Money) Format(locale string) string {
	amount, err := currency.NewAmountFromInt64(m.amount, m.currency)
	if err != nil {
		return m.String()
	}
	return formatter(locale).Format(amount)
}

// formatter returns the shared formatter for locale, building it on first use
// because NewFormatter resolves CLDR parent locales and allocates.
func formatter(locale string) *currency.Formatter {
	loc := currency.NewLocale(locale)
	if loc.IsEmpty() {
		loc = currency.NewLocale(defaultLocale)
	}
	key := loc.String()
	if f, ok := formatters.Load(key); ok {
		return f.(*currency.Formatter)
	}
	f := currency.NewFormatter(loc)
	// The default of 6 fraction digits would round amounts of a currency
	// registered with more digits; money must be shown exactly.
	f.MaxDigits = currency.DefaultDigits
	// The counter may overshoot slightly under races; the bound only needs
	// to be approximate.
	if cachedFormatters.Load() >= maxCachedFormatters {
		return f
	}
	actual, loaded := formatters.LoadOrStore(key, f)
	if !loaded {
		cachedFormatters.Add(1)
	}
	return actual.(*currency.Formatter)
}

// jsonMoney is the wire form. Minor is kept raw and parsed by us so that a
// fraction (1.5), an exponent (1e3) and an integer beyond int64 each map to
// this package's sentinel errors instead of a generic *json.UnmarshalTypeError.
// Currency is a pointer to tell a missing field from an empty one.
type jsonMoney struct {
	Minor    json.RawMessage `json:"minor"`
	Currency *string         `json:"currency"`
}

// MarshalJSON encodes m as {"minor":123450,"currency":"EUR"}. Minor units
// are used rather than a decimal so that no JSON client is tempted to parse
// the amount into a float. The zero Money is encoded as null.
func (m Money) MarshalJSON() ([]byte, error) {
	if m.currency == "" {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 40)
	b = append(b, `{"minor":`...)
	b = strconv.AppendInt(b, m.amount, 10)
	b = append(b, `,"currency":`...)
	b = strconv.AppendQuote(b, m.currency)
	return append(b, '}'), nil
}

// UnmarshalJSON decodes the form written by MarshalJSON. Both fields are
// required, the currency is validated like in New, minor must be a JSON
// integer within int64 (1.5, 1e3 and "150" are refused) and unknown fields
// are refused. As encoding/json expects, null leaves m unchanged. On error m
// is left unchanged too.
func (m *Money) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var w jsonMoney
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: JSON: %w", ErrInvalidAmount, err)
	}
	if w.Currency == nil {
		return fmt.Errorf("%w: JSON: missing \"currency\"", ErrInvalidAmount)
	}
	if len(w.Minor) == 0 {
		return fmt.Errorf("%w: JSON: missing \"minor\"", ErrInvalidAmount)
	}
	if _, err := Digits(*w.Currency); err != nil {
		return fmt.Errorf("%w (in JSON)", err)
	}
	minor, err := strconv.ParseInt(string(w.Minor), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%w: JSON minor %s", ErrOverflow, quote(string(w.Minor)))
		}
		return fmt.Errorf("%w: JSON minor %s is not an integer", ErrInvalidAmount, quote(string(w.Minor)))
	}
	*m = Money{amount: minor, currency: *w.Currency}
	return nil
}
