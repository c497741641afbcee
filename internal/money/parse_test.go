package money

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		code    string
		want    int64
		wantErr error
	}{
		// Zero-digit currencies.
		{in: "12", code: "JPY", want: 12},
		{in: "-12", code: "JPY", want: -12},
		{in: "+12", code: "KRW", want: 12},
		{in: "0", code: "KRW", want: 0},
		{in: "1.5", code: "JPY", wantErr: ErrInvalidAmount},
		{in: "1.0", code: "JPY", wantErr: ErrInvalidAmount},
		{in: "1.", code: "JPY", wantErr: ErrInvalidAmount},
		{in: "9223372036854775807", code: "JPY", want: math.MaxInt64},
		{in: "-9223372036854775808", code: "JPY", want: math.MinInt64},
		{in: "9223372036854775808", code: "JPY", wantErr: ErrOverflow},
		{in: "-9223372036854775809", code: "KRW", wantErr: ErrOverflow},
		{in: "99999999999999999999999", code: "KRW", wantErr: ErrOverflow},

		// Two-digit currencies.
		{in: "12", code: "EUR", want: 1200},
		{in: "12.5", code: "EUR", want: 1250},
		{in: "12.50", code: "EUR", want: 1250},
		{in: "-0.05", code: "EUR", want: -5},
		{in: "+3.10", code: "USD", want: 310},
		{in: "0.01", code: "CHF", want: 1},
		{in: "-0", code: "EUR", want: 0},
		{in: "-0.00", code: "EUR", want: 0},
		{in: "007.50", code: "EUR", want: 750},
		{in: "  12.34\t", code: "EUR", want: 1234},
		{in: "\n-1.99 ", code: "USD", want: -199},
		{in: "1234567.89", code: "USD", want: 123456789},
		{in: "92233720368547758.07", code: "EUR", want: math.MaxInt64},
		{in: "-92233720368547758.08", code: "EUR", want: math.MinInt64},
		{in: "92233720368547758.08", code: "EUR", wantErr: ErrOverflow},
		{in: "-92233720368547758.09", code: "EUR", wantErr: ErrOverflow},
		{in: "92233720368547759", code: "EUR", wantErr: ErrOverflow},
		{in: "1.234", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1.230", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "0.001", code: "USD", wantErr: ErrInvalidAmount},
		{in: "", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "   ", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "-", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "+", code: "EUR", wantErr: ErrInvalidAmount},
		{in: ".", code: "EUR", wantErr: ErrInvalidAmount},
		{in: ".5", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "-.5", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "5.", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1.2.3", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1..2", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "--1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "+-1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "-+1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "++1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1-", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "- 1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1e3", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1E3", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1.5e-1", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1,5", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1,000", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1,000.00", code: "USD", wantErr: ErrInvalidAmount},
		{in: "1 000", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1\u202f000", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1_000", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "1'000", code: "CHF", wantErr: ErrInvalidAmount},
		{in: "NaN", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "nan", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "Inf", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "-Infinity", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "0x10", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "€12", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "12 EUR", code: "EUR", wantErr: ErrInvalidAmount},
		{in: "١٢", code: "EUR", wantErr: ErrInvalidAmount},       // Arabic-Indic digits
		{in: "１２", code: "EUR", wantErr: ErrInvalidAmount},       // full-width digits
		{in: "\u221212", code: "EUR", wantErr: ErrInvalidAmount}, // U+2212 MINUS SIGN

		// Three-digit currencies.
		{in: "1.234", code: "BHD", want: 1234},
		{in: "1.2", code: "BHD", want: 1200},
		{in: "-0.001", code: "KWD", want: -1},
		{in: "10", code: "TND", want: 10000},
		{in: "1.2345", code: "BHD", wantErr: ErrInvalidAmount},
		{in: "9223372036854775.807", code: "KWD", want: math.MaxInt64},
		{in: "9223372036854775.808", code: "KWD", wantErr: ErrOverflow},

		// Four digits.
		{in: "1.2345", code: "CLF", want: 12345},

		// Currency problems.
		{in: "12", code: "eur", wantErr: ErrUnknownCurrency},
		{in: "12", code: "", wantErr: ErrUnknownCurrency},
		{in: "12", code: "XYZ", wantErr: ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in, tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q, %q) error = %v, want %v", tt.in, tt.code, err, tt.wantErr)
			}
			if err != nil {
				if got != (Money{}) {
					t.Errorf("Parse(%q, %q) = %#v with error, want zero Money", tt.in, tt.code, got)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
					t.Errorf("Parse(%q, %q) error %q does not name the input", tt.in, tt.code, err)
				}
				return
			}
			if diff := cmp.Diff(mustNew(t, tt.want, tt.code), got); diff != "" {
				t.Errorf("Parse(%q, %q) mismatch (-want +got):\n%s", tt.in, tt.code, diff)
			}
		})
	}
}

func TestParseErrorTruncatesHugeInput(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("9", 1<<20) + "x"
	_, err := Parse(in, "EUR")
	if !errors.Is(err, ErrInvalidAmount) && !errors.Is(err, ErrOverflow) {
		t.Fatalf("error = %v, want ErrInvalidAmount or ErrOverflow", err)
	}
	if n := len(err.Error()); n > 200 {
		t.Errorf("error message is %d bytes long, want it truncated", n)
	}
}

// TestParseDecimalRoundTrip checks that Decimal's output always parses back
// to the same amount, across the whole int64 range and every digit count.
func TestParseDecimalRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{"JPY", "KRW", "EUR", "USD", "CHF", "BHD", "KWD", "TND", "CLF"}
	amounts := []int64{0, 1, -1, 9, 10, 99, 100, 101, 999, 1000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for range 2000 {
		// Mix full-range values with small ones, which exercise padding.
		amounts = append(amounts, int64(rng.Uint64()), rng.Int64N(100000)-50000)
	}
	for _, code := range codes {
		for _, a := range amounts {
			m := mustNew(t, a, code)
			got, err := Parse(m.Decimal(), code)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", m.Decimal(), code, err)
			}
			if got != m {
				t.Fatalf("Parse(%q, %q) = %v, want %v", m.Decimal(), code, got, m)
			}
		}
	}
}

// FuzzParse checks that anything Parse accepts is printed back by Decimal in
// a canonical form that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12", "12.5", "-0.05", "+3.10", "1.234", "007", " 1 ", "9223372036854775807", "1e3", "NaN", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, code := range []string{"JPY", "EUR", "BHD"} {
			m, err := Parse(s, code)
			if err != nil {
				if !errors.Is(err, ErrInvalidAmount) && !errors.Is(err, ErrOverflow) {
					t.Fatalf("Parse(%q, %q) unexpected error kind: %v", s, code, err)
				}
				continue
			}
			back, err := Parse(m.Decimal(), code)
			if err != nil || back != m {
				t.Fatalf("Parse(%q, %q) = %v, but Decimal %q parses to %v, %v", s, code, m, m.Decimal(), back, err)
			}
		}
	})
}
