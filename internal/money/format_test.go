package money

import (
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecimalAndString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{minor: 100, code: "JPY", want: "100"},
		{minor: -100, code: "JPY", want: "-100"},
		{minor: 0, code: "KRW", want: "0"},
		{minor: math.MaxInt64, code: "KRW", want: "9223372036854775807"},
		{minor: math.MinInt64, code: "JPY", want: "-9223372036854775808"},
		{minor: 123450, code: "EUR", want: "1234.50"},
		{minor: -5, code: "EUR", want: "-0.05"},
		{minor: 5, code: "USD", want: "0.05"},
		{minor: 50, code: "USD", want: "0.50"},
		{minor: 0, code: "EUR", want: "0.00"},
		{minor: 100, code: "CHF", want: "1.00"},
		{minor: -100, code: "CHF", want: "-1.00"},
		{minor: math.MaxInt64, code: "EUR", want: "92233720368547758.07"},
		{minor: math.MinInt64, code: "EUR", want: "-92233720368547758.08"},
		{minor: 1234, code: "BHD", want: "1.234"},
		{minor: 1, code: "KWD", want: "0.001"},
		{minor: -10, code: "TND", want: "-0.010"},
		{minor: 0, code: "BHD", want: "0.000"},
		{minor: math.MinInt64, code: "KWD", want: "-9223372036854775.808"},
		{minor: 1, code: "CLF", want: "0.0001"},
		{minor: 12345678, code: "CLF", want: "1234.5678"},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.minor, tt.code)
		if got := m.Decimal(); got != tt.want {
			t.Errorf("New(%d, %q).Decimal() = %q, want %q", tt.minor, tt.code, got, tt.want)
		}
		if got, want := m.String(), tt.want+" "+tt.code; got != want {
			t.Errorf("New(%d, %q).String() = %q, want %q", tt.minor, tt.code, got, want)
		}
	}
	var z Money
	if got := z.Decimal(); got != "0" {
		t.Errorf("zero Money Decimal() = %q", got)
	}
	if got := z.String(); got != "0 (no currency)" {
		t.Errorf("zero Money String() = %q", got)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	// Expected strings are what bojanz/currency v1.4.2 produces from CLDR;
	// fr groups with U+202F NARROW NO-BREAK SPACE and separates the symbol
	// with U+00A0 NO-BREAK SPACE.
	tests := []struct {
		minor  int64
		code   string
		locale string
		want   string
	}{
		{minor: 123450, code: "EUR", locale: "en", want: "€1,234.50"},
		{minor: -123450, code: "EUR", locale: "en", want: "-€1,234.50"},
		{minor: 5, code: "EUR", locale: "en", want: "€0.05"},
		{minor: 0, code: "EUR", locale: "en", want: "€0.00"},
		{minor: 123450, code: "EUR", locale: "fr", want: "1\u202f234,50\u00a0€"},
		{minor: -123450, code: "EUR", locale: "fr", want: "-1\u202f234,50\u00a0€"},
		{minor: 5, code: "EUR", locale: "fr", want: "0,05\u00a0€"},
		{minor: 123450, code: "EUR", locale: "de", want: "1.234,50\u00a0€"},
		{minor: 123456789, code: "USD", locale: "en", want: "$1,234,567.89"},
		{minor: 123456789, code: "USD", locale: "fr", want: "1\u202f234\u202f567,89\u00a0$US"},
		{minor: 123450, code: "CHF", locale: "en", want: "CHF\u00a01,234.50"},
		{minor: 123450, code: "CHF", locale: "de-CH", want: "CHF\u00a01'234.50"},
		{minor: 123450, code: "JPY", locale: "en", want: "¥123,450"},
		{minor: -123450, code: "JPY", locale: "en", want: "-¥123,450"},
		{minor: 123450, code: "JPY", locale: "fr", want: "123\u202f450\u00a0¥"},
		{minor: 123450, code: "KRW", locale: "en", want: "₩123,450"},
		{minor: 1234567, code: "BHD", locale: "en", want: "BHD\u00a01,234.567"},
		{minor: -1234567, code: "BHD", locale: "en", want: "-BHD\u00a01,234.567"},
		{minor: 1234567, code: "BHD", locale: "fr", want: "1\u202f234,567\u00a0BHD"},
		{minor: 1, code: "KWD", locale: "en", want: "KWD\u00a00.001"},
		{minor: 1234567, code: "TND", locale: "fr", want: "1\u202f234,567\u00a0TND"},
		{minor: math.MaxInt64, code: "EUR", locale: "en", want: "€92,233,720,368,547,758.07"},
		{minor: math.MinInt64, code: "EUR", locale: "en", want: "-€92,233,720,368,547,758.08"},
		// Unknown, empty and odd locales fall back to en.
		{minor: 123450, code: "EUR", locale: "xx", want: "€1,234.50"},
		{minor: 123450, code: "EUR", locale: "", want: "€1,234.50"},
		{minor: 123450, code: "EUR", locale: "  ", want: "€1,234.50"},
		{minor: 123450, code: "EUR", locale: "en-US", want: "€1,234.50"},
		{minor: 123450, code: "EUR", locale: "EN_us", want: "€1,234.50"},
		{minor: 123450, code: "EUR", locale: "fr-FR", want: "1\u202f234,50\u00a0€"},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.minor, tt.code)
		if got := m.Format(tt.locale); got != tt.want {
			t.Errorf("New(%d, %q).Format(%q) = %q, want %q", tt.minor, tt.code, tt.locale, got, tt.want)
		}
	}
	if got := (Money{}).Format("en"); got != "0 (no currency)" {
		t.Errorf("zero Money Format = %q", got)
	}
}

// TestFormatConcurrent exercises the formatter cache from many goroutines;
// run with -race to check that sharing formatters is safe.
func TestFormatConcurrent(t *testing.T) {
	t.Parallel()
	m := mustNew(t, 123450, "EUR")
	locales := []string{"en", "fr", "de", "de-CH", "ja", "xx", ""}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				loc := locales[(g+i)%len(locales)]
				if got, want := m.Format(loc), m.Format(loc); got != want {
					t.Errorf("Format(%q) unstable: %q vs %q", loc, got, want)
				}
			}
		})
	}
	wg.Wait()
}

func TestFormatterCacheIsBounded(t *testing.T) {
	// Not parallel: it fills the shared cache on purpose.
	m := mustNew(t, 123450, "EUR")
	for i := range 3 * maxCachedFormatters {
		// Made-up locales, as an attacker could send in Accept-Language.
		loc := "zz-" + string([]byte{byte('a' + i%26), byte('a' + i/26%26), byte('a' + i/676)})
		if got := m.Format(loc); got != "€1,234.50" {
			t.Fatalf("Format(%q) = %q", loc, got)
		}
	}
	if n := cachedFormatters.Load(); n > maxCachedFormatters+16 {
		t.Errorf("cache holds %d formatters, want at most about %d", n, maxCachedFormatters)
	}
	if got := m.Format("fr"); got != "1\u202f234,50\u00a0€" {
		t.Errorf("Format(fr) after filling cache = %q", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    Money
		want string
	}{
		{m: mustNew(t, 123450, "EUR"), want: `{"minor":123450,"currency":"EUR"}`},
		{m: mustNew(t, -5, "USD"), want: `{"minor":-5,"currency":"USD"}`},
		{m: mustNew(t, 0, "JPY"), want: `{"minor":0,"currency":"JPY"}`},
		{m: mustNew(t, 1234, "BHD"), want: `{"minor":1234,"currency":"BHD"}`},
		{m: mustNew(t, math.MaxInt64, "KWD"), want: `{"minor":9223372036854775807,"currency":"KWD"}`},
		{m: mustNew(t, math.MinInt64, "TND"), want: `{"minor":-9223372036854775808,"currency":"TND"}`},
		{m: Money{}, want: `null`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", tt.m, err)
		}
		if string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, want %s", tt.m, b, tt.want)
		}
		var got Money
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if diff := cmp.Diff(tt.m, got); diff != "" {
			t.Errorf("round trip of %s mismatch (-want +got):\n%s", b, diff)
		}
	}

	// Embedded in a struct, as it will be in API payloads.
	type line struct {
		Price Money  `json:"price"`
		Tax   *Money `json:"tax,omitempty"`
	}
	in := line{Price: mustNew(t, 1999, "EUR")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"price":{"minor":1999,"currency":"EUR"}}`; string(b) != want {
		t.Errorf("Marshal(line) = %s, want %s", b, want)
	}
	var out line
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("line round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Money
		wantErr error
	}{
		{in: `{"minor":150,"currency":"EUR"}`, want: Money{amount: 150, currency: "EUR"}},
		{in: ` { "currency" : "JPY" , "minor" : -3 } `, want: Money{amount: -3, currency: "JPY"}},
		{in: `{"minor":-0,"currency":"EUR"}`, want: Money{amount: 0, currency: "EUR"}},
		{in: `{"minor":1.5,"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":1.0,"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":1e3,"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":"150","currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":null,"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":true,"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"currency":"EUR"}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":150}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":150,"currency":"EUR","extra":1}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":150,"currency":"eur"}`, wantErr: ErrUnknownCurrency},
		{in: `{"minor":150,"currency":""}`, wantErr: ErrUnknownCurrency},
		{in: `{"minor":150,"currency":"XYZ"}`, wantErr: ErrUnknownCurrency},
		{in: `{"minor":150,"currency":978}`, wantErr: ErrInvalidAmount},
		{in: `{"minor":9223372036854775808,"currency":"EUR"}`, wantErr: ErrOverflow},
		{in: `{"minor":-9223372036854775809,"currency":"EUR"}`, wantErr: ErrOverflow},
		{in: `[150,"EUR"]`, wantErr: ErrInvalidAmount},
		{in: `"1.50 EUR"`, wantErr: ErrInvalidAmount},
		{in: `150`, wantErr: ErrInvalidAmount},
	}
	for _, tt := range tests {
		// Start from a non-zero value to check that failures leave it alone.
		orig := mustNew(t, 42, "CHF")
		got := orig
		err := json.Unmarshal([]byte(tt.in), &got)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Unmarshal(%s) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		want := tt.want
		if err != nil {
			want = orig
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}

	// null is a no-op, as encoding/json expects of Unmarshalers.
	got := mustNew(t, 42, "CHF")
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || got != mustNew(t, 42, "CHF") {
		t.Errorf("Unmarshal(null) = %v, %v; want unchanged", got, err)
	}
}
