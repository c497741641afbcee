package money

import (
	"errors"
	"fmt"
	"math"

	"github.com/bojanz/currency"
)

// Money is an amount in integer minor units of an ISO 4217 currency.
//
// The zero value is invalid: it has no currency. Money values are immutable
// and comparable; two values are == exactly when Equal reports true.
type Money struct {
	amount   int64
	currency string
}

// Sentinel errors returned (wrapped) by this package; test for them with
// errors.Is.
var (
	// ErrCurrencyMismatch is returned when an operation combines amounts in
	// different currencies; converting implicitly would hide an exchange rate.
	ErrCurrencyMismatch = errors.New("money: currencies differ")
	// ErrUnknownCurrency is returned for a code that is not an upper-case
	// ISO 4217 code known to github.com/bojanz/currency, and for operations
	// on the zero Money.
	ErrUnknownCurrency = errors.New("money: unknown currency")
	// ErrInvalidAmount is returned for text or JSON that is not an exact
	// amount in the currency's minor units.
	ErrInvalidAmount = errors.New("money: invalid amount")
	// ErrOverflow is returned when a result does not fit in int64 minor units.
	ErrOverflow = errors.New("money: amount out of range")
	// ErrInvalidRatio is returned for a non-positive denominator, negative or
	// all-zero allocation ratios and a split into fewer than one part.
	ErrInvalidRatio = errors.New("money: invalid ratio")
)

// maxDigits bounds the fraction digits we support so that 10^digits fits in
// an int64; currency.Register could otherwise introduce up to 254.
const maxDigits = 18

// New returns minor units of the currency code, for example New(1234, "EUR")
// is 12.34 EUR. The code must be upper-case and known to bojanz/currency.
func New(minor int64, code string) (Money, error) {
	if _, err := Digits(code); err != nil {
		return Money{}, err
	}
	return Money{amount: minor, currency: code}, nil
}

// Zero returns a zero amount of the currency code.
func Zero(code string) (Money, error) {
	return New(0, code)
}

// Digits returns the number of fraction digits of the currency code: 0 for
// JPY, 2 for EUR, 3 for BHD, 4 for CLF.
func Digits(code string) (int, error) {
	// bojanz/currency treats "" as valid and its table is case-sensitive;
	// checking the shape first gives a uniform error for both.
	if !isCurrencyShape(code) {
		return 0, fmt.Errorf("%w: %q", ErrUnknownCurrency, code)
	}
	d, ok := currency.GetDigits(code)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownCurrency, code)
	}
	if d > maxDigits {
		return 0, fmt.Errorf("%w: %q has %d fraction digits, at most %d supported",
			ErrUnknownCurrency, code, d, maxDigits)
	}
	return int(d), nil
}

func isCurrencyShape(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := range len(code) {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// Amount returns the amount in minor units.
func (m Money) Amount() int64 { return m.amount }

// Currency returns the ISO 4217 code, or "" for the zero Money.
func (m Money) Currency() string { return m.currency }

// IsZero reports whether the amount is zero. It is also true for the zero
// Money, which has no currency.
func (m Money) IsZero() bool { return m.amount == 0 }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.amount < 0 }

// IsPositive reports whether the amount is above zero.
func (m Money) IsPositive() bool { return m.amount > 0 }

// Equal reports whether m and o have the same currency and amount.
// Unlike Cmp it never fails, so amounts in different currencies are simply
// not equal.
func (m Money) Equal(o Money) bool {
	return m == o
}

// valid reports ErrUnknownCurrency for the zero Money. Values built by this
// package always carry a validated code, so checking for "" is enough.
func (m Money) valid() error {
	if m.currency == "" {
		return fmt.Errorf("%w: zero Money has no currency", ErrUnknownCurrency)
	}
	return nil
}

func (m Money) sameCurrency(o Money) error {
	if err := m.valid(); err != nil {
		return err
	}
	if m.currency != o.currency {
		if o.currency == "" {
			return fmt.Errorf("%w: %s and zero Money without currency", ErrCurrencyMismatch, m.currency)
		}
		return fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, m.currency, o.currency)
	}
	return nil
}

// Neg returns -m. It fails with ErrOverflow for the most negative amount,
// whose negation does not fit in int64.
func (m Money) Neg() (Money, error) {
	if err := m.valid(); err != nil {
		return Money{}, err
	}
	if m.amount == math.MinInt64 {
		return Money{}, fmt.Errorf("%w: -(%s)", ErrOverflow, m)
	}
	return Money{amount: -m.amount, currency: m.currency}, nil
}

// Add returns m+o. Both must be in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	s, ok := add64(m.amount, o.amount)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrOverflow, m, o)
	}
	return Money{amount: s, currency: m.currency}, nil
}

// Sub returns m-o. Both must be in the same currency.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	d := m.amount - o.amount
	// Overflow happened iff the operands had different signs and the
	// result's sign differs from m's.
	if (m.amount^o.amount)&(m.amount^d) < 0 {
		return Money{}, fmt.Errorf("%w: %s - %s", ErrOverflow, m, o)
	}
	return Money{amount: d, currency: m.currency}, nil
}

// Mul returns m*q, for example a unit price times a quantity.
func (m Money) Mul(q int64) (Money, error) {
	if err := m.valid(); err != nil {
		return Money{}, err
	}
	p, ok := mulDiv(m.amount, q, 1)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s * %d", ErrOverflow, m, q)
	}
	return Money{amount: p, currency: m.currency}, nil
}

// Cmp compares m and o and returns -1, 0 or +1. Amounts in different
// currencies cannot be ordered without a rate, so that is an error.
func (m Money) Cmp(o Money) (int, error) {
	if err := m.sameCurrency(o); err != nil {
		return 0, err
	}
	switch {
	case m.amount < o.amount:
		return -1, nil
	case m.amount > o.amount:
		return 1, nil
	default:
		return 0, nil
	}
}

// Sum adds ms, which must all be in the currency code. With no ms it returns
// the zero amount of code, so totals of empty carts still carry a currency.
func Sum(code string, ms ...Money) (Money, error) {
	total, err := Zero(code)
	if err != nil {
		return Money{}, err
	}
	for i, m := range ms {
		if total, err = total.Add(m); err != nil {
			return Money{}, fmt.Errorf("%w (sum item %d)", err, i)
		}
	}
	return total, nil
}

// add64 returns a+b and whether it did not overflow.
func add64(a, b int64) (int64, bool) {
	s := a + b
	// Overflow happened iff both operands have the sign the result lacks.
	return s, (a^s)&(b^s) >= 0
}
