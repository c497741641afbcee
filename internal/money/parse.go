package money

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// maxQuoted bounds how much of a rejected input is echoed in an error, so a
// hostile multi-megabyte form field does not end up verbatim in the logs.
const maxQuoted = 64

// Parse converts an exact decimal string in major units, such as "12",
// "12.5", "-0.05" or "+3.10", to Money in the currency code.
//
// Surrounding white space is ignored. The accepted syntax is an optional
// sign, one or more ASCII digits and, optionally, a dot followed by one to
// Digits(code) digits. Parse never rounds: more fraction digits than the
// currency has are refused even when they are zeros ("1.230" EUR, "1.0" JPY),
// because any rounding of money must be an explicit decision by the caller.
// Exponents, thousands separators, decimal commas, ".5", "5.", "NaN", "Inf"
// and repeated signs are refused too.
//
// Errors wrap ErrUnknownCurrency, ErrInvalidAmount or, when the value does
// not fit in int64 minor units, ErrOverflow; the message names the input.
func Parse(s, code string) (Money, error) {
	digits, err := Digits(code)
	if err != nil {
		return Money{}, fmt.Errorf("%w (parsing %s)", err, quote(s))
	}
	minor, perr := parseMinor(strings.TrimSpace(s), digits)
	if perr != nil {
		return Money{}, fmt.Errorf("%w: parse %s as %s: %s", perr.sentinel, quote(s), code, perr.reason)
	}
	return Money{amount: minor, currency: code}, nil
}

// parseError keeps the sentinel apart from the explanation so Parse can
// build one message that names the original, untrimmed input.
type parseError struct {
	sentinel error
	reason   string
}

func invalid(format string, args ...any) *parseError {
	return &parseError{sentinel: ErrInvalidAmount, reason: fmt.Sprintf(format, args...)}
}

// parseMinor parses s as a decimal with at most digits fraction digits and
// returns it scaled to minor units.
func parseMinor(s string, digits int) (int64, *parseError) {
	if s == "" {
		return 0, invalid("empty")
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" {
		return 0, invalid("missing digits before the decimal point")
	}
	if hasDot && fracPart == "" {
		return 0, invalid("missing digits after the decimal point")
	}
	if i := nonDigit(intPart); i >= 0 {
		return 0, unexpected(intPart[i:])
	}
	if i := nonDigit(fracPart); i >= 0 {
		return 0, unexpected(fracPart[i:])
	}
	if len(fracPart) > digits {
		return 0, invalid("%d fraction digits, the currency has %d", len(fracPart), digits)
	}

	// Accumulate the magnitude in uint64 so that the most negative int64,
	// whose magnitude exceeds MaxInt64, can be represented.
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var mag uint64
	push := func(d byte) bool {
		v := uint64(d - '0')
		if mag > (limit-v)/10 {
			return false
		}
		mag = mag*10 + v
		return true
	}
	for i := range len(intPart) {
		if !push(intPart[i]) {
			return 0, &parseError{sentinel: ErrOverflow, reason: "does not fit in int64 minor units"}
		}
	}
	for i := range digits {
		d := byte('0')
		if i < len(fracPart) {
			d = fracPart[i]
		}
		if !push(d) {
			return 0, &parseError{sentinel: ErrOverflow, reason: "does not fit in int64 minor units"}
		}
	}
	if neg {
		// For mag == 1<<63 the conversion wraps to MinInt64, and negating
		// MinInt64 yields MinInt64 again, which is the intended value.
		return -int64(mag), nil
	}
	return int64(mag), nil
}

// unexpected reports the first character of rest, decoded as a rune so
// that non-ASCII digits or separators are shown legibly.
func unexpected(rest string) *parseError {
	r, _ := utf8.DecodeRuneInString(rest)
	return invalid("unexpected character %q", r)
}

// nonDigit returns the index of the first byte in s that is not an ASCII
// digit, or -1.
func nonDigit(s string) int {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

func quote(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("%q...", s[:maxQuoted])
	}
	return fmt.Sprintf("%q", s)
}
