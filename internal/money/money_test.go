package money

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustNew is a test helper for amounts known to be valid.
func mustNew(t testing.TB, minor int64, code string) Money {
	t.Helper()
	m, err := New(minor, code)
	if err != nil {
		t.Fatalf("New(%d, %q): %v", minor, code, err)
	}
	return m
}

func TestDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code    string
		want    int
		wantErr error
	}{
		{code: "JPY", want: 0},
		{code: "KRW", want: 0},
		{code: "EUR", want: 2},
		{code: "USD", want: 2},
		{code: "CHF", want: 2},
		{code: "BHD", want: 3},
		{code: "KWD", want: 3},
		{code: "TND", want: 3},
		{code: "CLF", want: 4},
		{code: "", wantErr: ErrUnknownCurrency},
		{code: "eur", wantErr: ErrUnknownCurrency},
		{code: "Eur", wantErr: ErrUnknownCurrency},
		{code: "EURO", wantErr: ErrUnknownCurrency},
		{code: "EU", wantErr: ErrUnknownCurrency},
		{code: " EUR", wantErr: ErrUnknownCurrency},
		{code: "ZZZ", wantErr: ErrUnknownCurrency},
		{code: "BTC", wantErr: ErrUnknownCurrency},
		{code: "978", wantErr: ErrUnknownCurrency},
		{code: "ЕUR", wantErr: ErrUnknownCurrency}, // Cyrillic Е
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			got, err := Digits(tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Digits(%q) error = %v, want %v", tt.code, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Digits(%q) = %d, want %d", tt.code, got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor   int64
		code    string
		wantErr error
	}{
		{minor: 100, code: "JPY"},
		{minor: -100, code: "KRW"},
		{minor: 123450, code: "EUR"},
		{minor: 0, code: "USD"},
		{minor: math.MaxInt64, code: "CHF"},
		{minor: math.MinInt64, code: "BHD"},
		{minor: 1, code: "KWD"},
		{minor: -1, code: "TND"},
		{minor: 1, code: "eur", wantErr: ErrUnknownCurrency},
		{minor: 1, code: "usd", wantErr: ErrUnknownCurrency},
		{minor: 1, code: "", wantErr: ErrUnknownCurrency},
		{minor: 1, code: "XYZ", wantErr: ErrUnknownCurrency},
	}
	for _, tt := range tests {
		m, err := New(tt.minor, tt.code)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%d, %q) error = %v, want %v", tt.minor, tt.code, err, tt.wantErr)
			continue
		}
		if err != nil {
			if m != (Money{}) {
				t.Errorf("New(%d, %q) returned %#v with an error, want zero Money", tt.minor, tt.code, m)
			}
			if !strings.Contains(err.Error(), tt.code) {
				t.Errorf("New(%d, %q) error %q does not name the code", tt.minor, tt.code, err)
			}
			continue
		}
		if m.Amount() != tt.minor || m.Currency() != tt.code {
			t.Errorf("New(%d, %q) = (%d, %q)", tt.minor, tt.code, m.Amount(), m.Currency())
		}
	}
}

func TestZero(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"JPY", "EUR", "BHD"} {
		z, err := Zero(code)
		if err != nil {
			t.Fatalf("Zero(%q): %v", code, err)
		}
		if !z.IsZero() || z.Currency() != code || z.Amount() != 0 {
			t.Errorf("Zero(%q) = %#v", code, z)
		}
	}
	if _, err := Zero("eur"); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("Zero(\"eur\") error = %v, want ErrUnknownCurrency", err)
	}
}

func TestPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor                    int64
		zero, negative, positive bool
	}{
		{minor: 0, zero: true},
		{minor: 1, positive: true},
		{minor: -1, negative: true},
		{minor: math.MaxInt64, positive: true},
		{minor: math.MinInt64, negative: true},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.minor, "EUR")
		if got := m.IsZero(); got != tt.zero {
			t.Errorf("%v.IsZero() = %v", m, got)
		}
		if got := m.IsNegative(); got != tt.negative {
			t.Errorf("%v.IsNegative() = %v", m, got)
		}
		if got := m.IsPositive(); got != tt.positive {
			t.Errorf("%v.IsPositive() = %v", m, got)
		}
	}
}

func TestNeg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want int64
		wantErr  error
	}{
		{in: 0, want: 0},
		{in: 5, want: -5},
		{in: -5, want: 5},
		{in: math.MaxInt64, want: -math.MaxInt64},
		{in: -math.MaxInt64, want: math.MaxInt64},
		{in: math.MinInt64, wantErr: ErrOverflow},
	}
	for _, tt := range tests {
		got, err := mustNew(t, tt.in, "USD").Neg()
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Neg(%d) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(mustNew(t, tt.want, "USD"), got); diff != "" {
				t.Errorf("Neg(%d) mismatch (-want +got):\n%s", tt.in, diff)
			}
		}
	}
}

// binaryCase describes a two-operand operation on amounts.
type binaryCase struct {
	a, b    int64
	ca, cb  string
	want    int64
	wantErr error
}

func TestAddSub(t *testing.T) {
	t.Parallel()
	const maxI, minI = math.MaxInt64, math.MinInt64
	add := []binaryCase{
		{a: 1, b: 2, ca: "EUR", cb: "EUR", want: 3},
		{a: -1, b: 1, ca: "EUR", cb: "EUR", want: 0},
		{a: -150, b: -250, ca: "JPY", cb: "JPY", want: -400},
		{a: 1, b: 2, ca: "BHD", cb: "BHD", want: 3},
		{a: maxI - 1, b: 1, ca: "EUR", cb: "EUR", want: maxI},
		{a: maxI, b: 1, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: maxI, b: maxI, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: minI + 1, b: -1, ca: "EUR", cb: "EUR", want: minI},
		{a: minI, b: -1, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: minI, b: minI, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: minI, b: maxI, ca: "EUR", cb: "EUR", want: -1},
		{a: 1, b: 2, ca: "EUR", cb: "USD", wantErr: ErrCurrencyMismatch},
		{a: 1, b: 2, ca: "JPY", cb: "KRW", wantErr: ErrCurrencyMismatch},
		{a: 0, b: 0, ca: "EUR", cb: "", wantErr: ErrCurrencyMismatch},
		{a: 0, b: 0, ca: "", cb: "EUR", wantErr: ErrUnknownCurrency},
		{a: 0, b: 0, ca: "", cb: "", wantErr: ErrUnknownCurrency},
	}
	sub := []binaryCase{
		{a: 3, b: 2, ca: "EUR", cb: "EUR", want: 1},
		{a: 2, b: 3, ca: "EUR", cb: "EUR", want: -1},
		{a: 0, b: maxI, ca: "EUR", cb: "EUR", want: -maxI},
		{a: -1, b: maxI, ca: "EUR", cb: "EUR", want: minI},
		{a: -2, b: maxI, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: 0, b: minI, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: -1, b: minI, ca: "EUR", cb: "EUR", want: maxI},
		{a: maxI, b: -1, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: minI, b: 1, ca: "EUR", cb: "EUR", wantErr: ErrOverflow},
		{a: minI, b: minI, ca: "EUR", cb: "EUR", want: 0},
		{a: 1, b: 1, ca: "EUR", cb: "CHF", wantErr: ErrCurrencyMismatch},
		{a: 1, b: 1, ca: "KWD", cb: "BHD", wantErr: ErrCurrencyMismatch},
		{a: 0, b: 0, ca: "", cb: "", wantErr: ErrUnknownCurrency},
	}
	ops := []struct {
		name  string
		op    func(Money, Money) (Money, error)
		cases []binaryCase
	}{
		{name: "Add", op: Money.Add, cases: add},
		{name: "Sub", op: Money.Sub, cases: sub},
	}
	for _, o := range ops {
		for _, tt := range o.cases {
			a, b := Money{amount: tt.a, currency: tt.ca}, Money{amount: tt.b, currency: tt.cb}
			got, err := o.op(a, b)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%v.%s(%v) error = %v, want %v", a, o.name, b, err, tt.wantErr)
				continue
			}
			if err != nil {
				if got != (Money{}) {
					t.Errorf("%v.%s(%v) = %#v with error, want zero Money", a, o.name, b, got)
				}
				continue
			}
			if diff := cmp.Diff(Money{amount: tt.want, currency: tt.ca}, got); diff != "" {
				t.Errorf("%v.%s(%v) mismatch (-want +got):\n%s", a, o.name, b, diff)
			}
		}
	}
}

func TestMul(t *testing.T) {
	t.Parallel()
	const maxI, minI = math.MaxInt64, math.MinInt64
	tests := []struct {
		a, q, want int64
		wantErr    error
	}{
		{a: 1999, q: 3, want: 5997},
		{a: 1999, q: 0, want: 0},
		{a: 1999, q: -2, want: -3998},
		{a: -1999, q: -2, want: 3998},
		{a: maxI, q: 1, want: maxI},
		{a: maxI, q: -1, want: -maxI},
		{a: minI, q: 1, want: minI},
		{a: minI, q: -1, wantErr: ErrOverflow},
		{a: maxI, q: 2, wantErr: ErrOverflow},
		{a: maxI/2 + 1, q: 2, wantErr: ErrOverflow},
		{a: maxI / 2, q: 2, want: maxI - 1},
		{a: minI / 2, q: 2, want: minI},
		{a: minI / 2, q: -2, wantErr: ErrOverflow},
		{a: 1 << 32, q: 1 << 30, want: 1 << 62},
		{a: 1 << 32, q: 1 << 31, wantErr: ErrOverflow},
		{a: 1 << 32, q: -(1 << 31), want: minI},
		{a: -(1 << 32), q: 1 << 31, want: minI},
		{a: 3037000500, q: 3037000500, wantErr: ErrOverflow}, // just above sqrt(MaxInt64)
		{a: 3037000499, q: 3037000499, want: 3037000499 * 3037000499},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.a, "EUR")
		got, err := m.Mul(tt.q)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%v.Mul(%d) error = %v, want %v", m, tt.q, err, tt.wantErr)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(mustNew(t, tt.want, "EUR"), got); diff != "" {
				t.Errorf("%v.Mul(%d) mismatch (-want +got):\n%s", m, tt.q, diff)
			}
		}
	}
	if _, err := (Money{}).Mul(2); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("zero Money Mul error = %v, want ErrUnknownCurrency", err)
	}
}

func TestCmpEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b    Money
		want    int
		wantErr error
		equal   bool
	}{
		{a: mustNew(t, 1, "EUR"), b: mustNew(t, 2, "EUR"), want: -1},
		{a: mustNew(t, 2, "EUR"), b: mustNew(t, 1, "EUR"), want: 1},
		{a: mustNew(t, 2, "EUR"), b: mustNew(t, 2, "EUR"), want: 0, equal: true},
		{a: mustNew(t, -5, "JPY"), b: mustNew(t, 5, "JPY"), want: -1},
		{a: mustNew(t, math.MinInt64, "BHD"), b: mustNew(t, math.MaxInt64, "BHD"), want: -1},
		{a: mustNew(t, 0, "EUR"), b: mustNew(t, 0, "USD"), wantErr: ErrCurrencyMismatch},
		{a: mustNew(t, 100, "JPY"), b: mustNew(t, 100, "KRW"), wantErr: ErrCurrencyMismatch},
		{a: mustNew(t, 100, "EUR"), b: Money{}, wantErr: ErrCurrencyMismatch},
		{a: Money{}, b: Money{}, wantErr: ErrUnknownCurrency, equal: true},
	}
	for _, tt := range tests {
		got, err := tt.a.Cmp(tt.b)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%v.Cmp(%v) error = %v, want %v", tt.a, tt.b, err, tt.wantErr)
		} else if err == nil && got != tt.want {
			t.Errorf("%v.Cmp(%v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := tt.a.Equal(tt.b); got != tt.equal {
			t.Errorf("%v.Equal(%v) = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
		if got := tt.b.Equal(tt.a); got != tt.equal {
			t.Errorf("%v.Equal(%v) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.equal)
		}
	}
}

func TestSum(t *testing.T) {
	t.Parallel()
	eur := func(minor int64) Money { return mustNew(t, minor, "EUR") }
	tests := []struct {
		name    string
		code    string
		ms      []Money
		want    Money
		wantErr error
	}{
		{name: "empty", code: "EUR", want: eur(0)},
		{name: "empty JPY", code: "JPY", want: mustNew(t, 0, "JPY")},
		{name: "one", code: "EUR", ms: []Money{eur(5)}, want: eur(5)},
		{name: "many", code: "EUR", ms: []Money{eur(5), eur(-3), eur(1000)}, want: eur(1002)},
		{name: "overflow then back", code: "EUR", ms: []Money{eur(math.MaxInt64), eur(1), eur(-1)}, wantErr: ErrOverflow},
		{name: "mismatch", code: "EUR", ms: []Money{eur(5), mustNew(t, 5, "USD")}, wantErr: ErrCurrencyMismatch},
		{name: "wrong currency", code: "USD", ms: []Money{eur(5)}, wantErr: ErrCurrencyMismatch},
		{name: "zero Money item", code: "EUR", ms: []Money{{}}, wantErr: ErrCurrencyMismatch},
		{name: "unknown", code: "eur", wantErr: ErrUnknownCurrency},
	}
	for _, tt := range tests {
		got, err := Sum(tt.code, tt.ms...)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Sum error = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Sum mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestZeroValueIsInvalid(t *testing.T) {
	t.Parallel()
	var z Money
	if _, err := z.Neg(); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("Neg error = %v", err)
	}
	if _, err := z.MulRatio(1, 2); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("MulRatio error = %v", err)
	}
	if _, err := z.ApplyRate(2000); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("ApplyRate error = %v", err)
	}
	if _, err := z.Allocate(1, 1); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("Allocate error = %v", err)
	}
	if _, err := z.Split(2); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("Split error = %v", err)
	}
	if !z.IsZero() || z.IsNegative() || z.IsPositive() || z.Currency() != "" {
		t.Errorf("zero Money predicates wrong: %#v", z)
	}
}
