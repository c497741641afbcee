package money

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// basisPointsPerUnit is the denominator of ApplyRate: 10000 bp = 100%.
const basisPointsPerUnit = 10000

// MulRatio returns m*num/den rounded half-up, where den must be positive.
//
// Half-up means half away from zero, so negative amounts (refunds, credit
// notes) round as the exact mirror image of positive ones: 0.5 -> 1,
// -0.5 -> -1, 0.49 -> 0. This is the project's per-line rounding rule.
//
// The product m*num is formed in 128 bits, so MulRatio only fails with
// ErrOverflow when the rounded result itself does not fit in int64.
func (m Money) MulRatio(num, den int64) (Money, error) {
	if err := m.valid(); err != nil {
		return Money{}, err
	}
	if den <= 0 {
		return Money{}, fmt.Errorf("%w: denominator %d, must be positive", ErrInvalidRatio, den)
	}
	r, ok := mulDiv(m.amount, num, den)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s * %d / %d", ErrOverflow, m, num, den)
	}
	return Money{amount: r, currency: m.currency}, nil
}

// ApplyRate returns m*basisPoints/10000 rounded half-up like MulRatio, for
// example the VAT on a line: 20% is 2000 bp and 5.5% is 550 bp.
func (m Money) ApplyRate(basisPoints int64) (Money, error) {
	return m.MulRatio(basisPoints, basisPointsPerUnit)
}

// mulDiv returns a*b/d rounded half away from zero and whether the result
// fits in int64. d must be positive.
func mulDiv(a, b, d int64) (int64, bool) {
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(abs(a), abs(b))
	ud := uint64(d)
	if hi >= ud {
		// The quotient needs more than 64 bits; bits.Div64 would panic.
		return 0, false
	}
	q, rem := bits.Div64(hi, lo, ud)
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if q > limit {
		return 0, false
	}
	// rem < d <= MaxInt64, so ud-rem cannot underflow, and comparing with it
	// avoids computing 2*rem.
	if rem >= ud-rem {
		if q == limit {
			return 0, false
		}
		q++
	}
	return withSign(q, neg), true
}

// abs returns |x| as uint64, which unlike int64 can hold |MinInt64|.
func abs(x int64) uint64 {
	if x < 0 {
		return -uint64(x)
	}
	return uint64(x)
}

// withSign turns a magnitude back into int64; the caller guarantees that it
// is at most MaxInt64, or 1<<63 when neg.
func withSign(mag uint64, neg bool) int64 {
	if neg {
		return int64(-mag)
	}
	return int64(mag)
}

// Allocate splits m into len(ratios) parts proportional to ratios, which
// must be non-negative with at least one positive. Parts always sum exactly
// to m.
//
// It uses the largest remainder method: every part first gets the truncated
// share |m|*ratio/sum(ratios), then the minor units left over go one each to
// the parts with the largest remainders, ties going to the earliest index.
// A negative m is split as the mirror image of -m. Parts with a zero ratio
// are always zero.
func (m Money) Allocate(ratios ...int64) ([]Money, error) {
	if err := m.valid(); err != nil {
		return nil, err
	}
	if len(ratios) == 0 {
		return nil, fmt.Errorf("%w: no ratios", ErrInvalidRatio)
	}
	var total int64
	for i, r := range ratios {
		if r < 0 {
			return nil, fmt.Errorf("%w: ratio %d at index %d is negative", ErrInvalidRatio, r, i)
		}
		var ok bool
		if total, ok = add64(total, r); !ok {
			return nil, fmt.Errorf("%w: ratios sum beyond int64", ErrInvalidRatio)
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: all ratios are zero", ErrInvalidRatio)
	}

	neg := m.amount < 0
	mag, ut := abs(m.amount), uint64(total)
	shares := make([]uint64, len(ratios))
	rems := make([]uint64, len(ratios))
	var allocated uint64
	for i, r := range ratios {
		// mag*r <= mag*total < 2^64*total, so hi < total and Div64 is safe.
		hi, lo := bits.Mul64(mag, uint64(r))
		shares[i], rems[i] = bits.Div64(hi, lo, ut)
		allocated += shares[i]
	}
	// The leftover is sum(rems)/total < len(ratios), and more than leftover
	// remainders are non-zero, so each part gets at most one extra unit and
	// zero-ratio parts get none.
	if left := mag - allocated; left > 0 {
		order := make([]int, len(ratios))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			return cmp.Compare(rems[b], rems[a])
		})
		for _, i := range order[:left] {
			shares[i]++
		}
	}

	parts := make([]Money, len(ratios))
	for i, s := range shares {
		parts[i] = Money{amount: withSign(s, neg), currency: m.currency}
	}
	return parts, nil
}

// Split divides m into n equal parts, n >= 1. When m is not divisible by n
// the first parts get one extra minor unit (one unit further from zero for
// negative m), so the parts always sum exactly to m.
func (m Money) Split(n int) ([]Money, error) {
	if err := m.valid(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: cannot split into %d parts", ErrInvalidRatio, n)
	}
	neg := m.amount < 0
	mag := abs(m.amount)
	q, r := mag/uint64(n), mag%uint64(n)
	parts := make([]Money, n)
	for i := range parts {
		s := q
		if uint64(i) < r {
			s++
		}
		parts[i] = Money{amount: withSign(s, neg), currency: m.currency}
	}
	return parts, nil
}
