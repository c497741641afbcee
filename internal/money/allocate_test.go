package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const maxI, minI = math.MaxInt64, math.MinInt64

func TestMulRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, num, den int64
		want        int64
		wantErr     error
	}{
		// Exact results.
		{a: 100, num: 1, den: 1, want: 100},
		{a: 100, num: 3, den: 4, want: 75},
		{a: 100, num: 0, den: 7, want: 0},
		{a: 0, num: 5, den: 3, want: 0},
		// The .5 boundary rounds away from zero, symmetric for negatives.
		{a: 1, num: 1, den: 2, want: 1},
		{a: -1, num: 1, den: 2, want: -1},
		{a: 1, num: -1, den: 2, want: -1},
		{a: -1, num: -1, den: 2, want: 1},
		{a: 3, num: 1, den: 2, want: 2},
		{a: -3, num: 1, den: 2, want: -2},
		{a: 5, num: 1, den: 10, want: 1},
		{a: -5, num: 1, den: 10, want: -1},
		// Just below and just above half.
		{a: 49, num: 1, den: 100, want: 0},
		{a: -49, num: 1, den: 100, want: 0},
		{a: 51, num: 1, den: 100, want: 1},
		{a: -51, num: 1, den: 100, want: -1},
		{a: 1, num: 1, den: 3, want: 0},
		{a: 2, num: 1, den: 3, want: 1},
		{a: -2, num: 1, den: 3, want: -1},
		{a: 100, num: 1, den: 3, want: 33},
		{a: 200, num: 1, den: 3, want: 67},
		{a: -200, num: 1, den: 3, want: -67},
		// Odd denominators never hit exactly half: 7/2 is not representable.
		{a: 7, num: 1, den: 3, want: 2},
		// Denominator must be positive.
		{a: 1, num: 1, den: 0, wantErr: ErrInvalidRatio},
		{a: 1, num: 1, den: -2, wantErr: ErrInvalidRatio},
		// The 128-bit intermediate keeps huge products exact.
		{a: maxI, num: maxI, den: maxI, want: maxI},
		{a: minI, num: maxI, den: maxI, want: minI},
		{a: maxI, num: 3, den: 3, want: maxI},
		{a: maxI, num: 2, den: 3, want: 6148914691236517205},   // 6148914691236517204.67
		{a: maxI, num: 1, den: 2, want: 4611686018427387904},   // .5 rounds up
		{a: -maxI, num: 1, den: 2, want: -4611686018427387904}, // mirror
		{a: minI, num: 1, den: 2, want: minI / 2},
		{a: minI, num: -1, den: 1, wantErr: ErrOverflow},
		{a: minI, num: 1, den: 1, want: minI},
		{a: maxI, num: 2, den: 1, wantErr: ErrOverflow},
		{a: maxI, num: maxI, den: 1, wantErr: ErrOverflow},
		{a: maxI, num: maxI, den: 2, wantErr: ErrOverflow},
		{a: maxI, num: 10001, den: 10000, wantErr: ErrOverflow},
		{a: maxI - 1, num: 1, den: 1, want: maxI - 1},
		// Rounding that would push the result just past the limit.
		{a: maxI, num: maxI - 1, den: maxI - 1, want: maxI},
		// 3*6148914691236517205 = 2^64-1, so these are ±(MaxInt64 + 0.5):
		// rounding away from zero overflows upwards but reaches MinInt64.
		{a: 3, num: 6148914691236517205, den: 2, wantErr: ErrOverflow},
		{a: -3, num: 6148914691236517205, den: 2, want: minI},
		{a: 3, num: -6148914691236517205, den: 2, want: minI},
		// 274177*67280421310721 = 2^64+1, so this is -(2^63 + 0.5).
		{a: -274177, num: 67280421310721, den: 2, wantErr: ErrOverflow},
		{a: 274177, num: 67280421310721, den: 2, wantErr: ErrOverflow},
		{a: maxI, num: maxI, den: maxI - 1, wantErr: ErrOverflow},
		{a: minI, num: minI + 1, den: maxI, wantErr: ErrOverflow},
		{a: minI + 1, num: maxI, den: maxI, want: minI + 1},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.a, "EUR")
		got, err := m.MulRatio(tt.num, tt.den)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%v.MulRatio(%d, %d) error = %v, want %v", m, tt.num, tt.den, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(mustNew(t, tt.want, "EUR"), got); diff != "" {
			t.Errorf("%v.MulRatio(%d, %d) mismatch (-want +got):\n%s", m, tt.num, tt.den, diff)
		}
	}
}

func TestApplyRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, bp, want int64
		code        string
		wantErr     error
	}{
		{a: 1, bp: 5000, want: 1, code: "EUR"},     // 0.5 -> 1
		{a: -1, bp: 5000, want: -1, code: "EUR"},   // -0.5 -> -1
		{a: 1, bp: -5000, want: -1, code: "EUR"},   // negative rate, same mirror
		{a: 1, bp: 4999, want: 0, code: "EUR"},     // 0.4999 -> 0
		{a: -1, bp: 4999, want: 0, code: "EUR"},    // -0.4999 -> 0
		{a: 1, bp: 5001, want: 1, code: "EUR"},     // 0.5001 -> 1
		{a: 3, bp: 3333, want: 1, code: "EUR"},     // 0.9999 -> 1
		{a: -3, bp: 3333, want: -1, code: "EUR"},   // mirror
		{a: 1999, bp: 550, want: 110, code: "EUR"}, // 109.945 -> 110
		{a: -1999, bp: 550, want: -110, code: "EUR"},
		{a: 1999, bp: 2000, want: 400, code: "EUR"}, // 399.8 -> 400
		{a: 1990, bp: 2000, want: 398, code: "EUR"}, // exact
		{a: 1000, bp: 2000, want: 200, code: "JPY"},
		{a: 1234, bp: 2000, want: 247, code: "BHD"}, // 246.8 -> 247
		{a: 10, bp: 550, want: 1, code: "JPY"},      // 0.55 -> 1
		{a: 9, bp: 550, want: 0, code: "JPY"},       // 0.495 -> 0
		{a: 100, bp: 10000, want: 100, code: "EUR"},
		{a: 100, bp: 0, want: 0, code: "EUR"},
		{a: 100, bp: -10000, want: -100, code: "EUR"},
		{a: 12345, bp: 1, want: 1, code: "EUR"}, // 1.2345 -> 1
		{a: 15000, bp: 1, want: 2, code: "EUR"}, // 1.5 -> 2
		{a: -15000, bp: 1, want: -2, code: "EUR"},
		// Near the limits: a*bp overflows int64 but the result does not.
		{a: maxI, bp: 10000, want: maxI, code: "EUR"},
		{a: maxI, bp: 5000, want: 4611686018427387904, code: "EUR"},
		{a: minI, bp: 5000, want: minI / 2, code: "EUR"},
		{a: minI, bp: 10000, want: minI, code: "EUR"},
		{a: maxI, bp: 2000, want: 1844674407370955161, code: "EUR"}, // .4 rounds down
		{a: maxI / 2, bp: 20000, want: maxI - 1, code: "EUR"},
		{a: maxI, bp: 10001, wantErr: ErrOverflow, code: "EUR"},
		{a: minI, bp: -10000, wantErr: ErrOverflow, code: "EUR"},
		{a: maxI, bp: maxI, wantErr: ErrOverflow, code: "EUR"},
	}
	for _, tt := range tests {
		m := mustNew(t, tt.a, tt.code)
		got, err := m.ApplyRate(tt.bp)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%v.ApplyRate(%d) error = %v, want %v", m, tt.bp, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(mustNew(t, tt.want, tt.code), got); diff != "" {
			t.Errorf("%v.ApplyRate(%d) mismatch (-want +got):\n%s", m, tt.bp, diff)
		}
	}
}

// refMulRatio is an independent math/big implementation of MulRatio's
// contract: a*num/den rounded half away from zero, or !ok outside int64.
func refMulRatio(a, num, den int64) (int64, bool) {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(num))
	d := big.NewInt(den)
	q, r := new(big.Int).QuoRem(p, d, new(big.Int)) // truncates toward zero
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	if twice.Cmp(d) >= 0 {
		q.Add(q, big.NewInt(int64(p.Sign())))
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func TestMulRatioMatchesBigInt(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	// Draw from several magnitudes so that both exact and overflowing,
	// tiny and huge cases are common.
	draw := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return rng.Int64N(21) - 10
		case 1:
			return rng.Int64N(2_000_001) - 1_000_000
		case 2:
			return int64(rng.Uint64() >> rng.UintN(63))
		default:
			return int64(rng.Uint64())
		}
	}
	for range 200_000 {
		a, num, den := draw(), draw(), draw()
		if den < 0 {
			den = -(den + 1) // maps MinInt64 to MaxInt64 without overflow
		}
		if den == 0 {
			den = 1
		}
		want, wantOK := refMulRatio(a, num, den)
		got, err := mustNew(t, a, "EUR").MulRatio(num, den)
		if !wantOK {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("MulRatio(%d, %d, %d) = %v, %v; want ErrOverflow", a, num, den, got, err)
			}
			continue
		}
		if err != nil || got.Amount() != want {
			t.Fatalf("MulRatio(%d, %d, %d) = %v, %v; want %d", a, num, den, got.Amount(), err, want)
		}
		// Mirror property of half away from zero.
		if a != minI {
			neg, err := mustNew(t, -a, "EUR").MulRatio(num, den)
			if err != nil || neg.Amount() != -want {
				t.Fatalf("MulRatio(%d, %d, %d) = %v, %v; want mirror %d", -a, num, den, neg.Amount(), err, -want)
			}
		}
	}
}

func amounts(t testing.TB, code string, minors ...int64) []Money {
	t.Helper()
	ms := make([]Money, len(minors))
	for i, a := range minors {
		ms[i] = mustNew(t, a, code)
	}
	return ms
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a       int64
		ratios  []int64
		want    []int64
		wantErr error
	}{
		{name: "5 by 1:1", a: 5, ratios: []int64{1, 1}, want: []int64{3, 2}},
		{name: "-5 by 1:1", a: -5, ratios: []int64{1, 1}, want: []int64{-3, -2}},
		{name: "100 by 1:1:1", a: 100, ratios: []int64{1, 1, 1}, want: []int64{34, 33, 33}},
		{name: "-100 by 1:1:1", a: -100, ratios: []int64{1, 1, 1}, want: []int64{-34, -33, -33}},
		{name: "exact", a: 100, ratios: []int64{70, 30}, want: []int64{70, 30}},
		{name: "single", a: 12345, ratios: []int64{7}, want: []int64{12345}},
		{name: "zero amount", a: 0, ratios: []int64{1, 2, 3}, want: []int64{0, 0, 0}},
		// Largest remainder wins, not the earliest index: 10*1/6=1.67,
		// 10*2/6=3.33, 10*3/6=5 -> floors 1,3,5, leftover 1 to index 0.
		{name: "largest remainder", a: 10, ratios: []int64{1, 2, 3}, want: []int64{2, 3, 5}},
		// 1 unit by 1:2: remainders 1/3 and 2/3, so index 1 gets it.
		{name: "larger remainder later", a: 1, ratios: []int64{1, 2}, want: []int64{0, 1}},
		{name: "mirror larger remainder later", a: -1, ratios: []int64{1, 2}, want: []int64{0, -1}},
		// Equal remainders: earliest index wins.
		{name: "tie", a: 2, ratios: []int64{1, 1, 1}, want: []int64{1, 1, 0}},
		{name: "tie negative", a: -2, ratios: []int64{1, 1, 1}, want: []int64{-1, -1, 0}},
		{name: "zero ratios", a: 100, ratios: []int64{0, 1, 0, 1, 0}, want: []int64{0, 50, 0, 50, 0}},
		{name: "zero ratios odd", a: 101, ratios: []int64{0, 1, 0, 1, 0}, want: []int64{0, 51, 0, 50, 0}},
		{name: "zero ratio first", a: 1, ratios: []int64{0, 1, 1}, want: []int64{0, 1, 0}},
		{name: "70/20/10 of 0.05", a: 5, ratios: []int64{70, 20, 10}, want: []int64{4, 1, 0}},
		{name: "max amount", a: maxI, ratios: []int64{1, 1}, want: []int64{maxI/2 + 1, maxI / 2}},
		{name: "min amount", a: minI, ratios: []int64{1, 1}, want: []int64{minI / 2, minI / 2}},
		{name: "min amount by 3", a: minI, ratios: []int64{1, 1, 1}, want: []int64{-3074457345618258603, -3074457345618258603, -3074457345618258602}},
		{name: "huge ratios", a: 1000, ratios: []int64{maxI / 2, maxI / 2}, want: []int64{500, 500}},
		{name: "huge amount and ratios", a: maxI, ratios: []int64{maxI - 1, 1}, want: []int64{maxI - 1, 1}},
		{name: "no ratios", a: 100, ratios: nil, wantErr: ErrInvalidRatio},
		{name: "all zero", a: 100, ratios: []int64{0, 0}, wantErr: ErrInvalidRatio},
		{name: "negative ratio", a: 100, ratios: []int64{2, -1}, wantErr: ErrInvalidRatio},
		{name: "ratio sum overflow", a: 100, ratios: []int64{maxI, 1}, wantErr: ErrInvalidRatio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustNew(t, tt.a, "EUR").Allocate(tt.ratios...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Allocate(%v) error = %v, want %v", tt.ratios, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(amounts(t, "EUR", tt.want...), got); diff != "" {
				t.Errorf("%d.Allocate(%v) mismatch (-want +got):\n%s", tt.a, tt.ratios, diff)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a       int64
		code    string
		n       int
		want    []int64
		wantErr error
	}{
		{a: 100, code: "EUR", n: 3, want: []int64{34, 33, 33}},
		{a: -100, code: "EUR", n: 3, want: []int64{-34, -33, -33}},
		{a: 100, code: "EUR", n: 1, want: []int64{100}},
		{a: 101, code: "EUR", n: 4, want: []int64{26, 25, 25, 25}},
		{a: 103, code: "EUR", n: 4, want: []int64{26, 26, 26, 25}},
		{a: 2, code: "JPY", n: 5, want: []int64{1, 1, 0, 0, 0}},
		{a: -2, code: "JPY", n: 5, want: []int64{-1, -1, 0, 0, 0}},
		{a: 0, code: "BHD", n: 3, want: []int64{0, 0, 0}},
		{a: 10000, code: "BHD", n: 3, want: []int64{3334, 3333, 3333}},
		{a: maxI, code: "EUR", n: 2, want: []int64{maxI/2 + 1, maxI / 2}},
		{a: minI, code: "EUR", n: 2, want: []int64{minI / 2, minI / 2}},
		{a: minI, code: "EUR", n: 3, want: []int64{-3074457345618258603, -3074457345618258603, -3074457345618258602}},
		{a: 100, code: "EUR", n: 0, wantErr: ErrInvalidRatio},
		{a: 100, code: "EUR", n: -1, wantErr: ErrInvalidRatio},
	}
	for _, tt := range tests {
		got, err := mustNew(t, tt.a, tt.code).Split(tt.n)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%d %s Split(%d) error = %v, want %v", tt.a, tt.code, tt.n, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(amounts(t, tt.code, tt.want...), got); diff != "" {
			t.Errorf("%d %s Split(%d) mismatch (-want +got):\n%s", tt.a, tt.code, tt.n, diff)
		}
	}
}

// sumExact adds parts with math/big so the check itself cannot overflow.
func sumExact(parts []Money) *big.Int {
	s := new(big.Int)
	for _, p := range parts {
		s.Add(s, big.NewInt(p.Amount()))
	}
	return s
}

// TestAllocateProperties checks invariants over many pseudo-random inputs:
// exact sums, proportionality within one unit, zero ratios get nothing,
// negative amounts mirror positive ones, and Split agrees with equal ratios.
func TestAllocateProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(42, 2024))
	for iter := range 20_000 {
		var a int64
		switch rng.IntN(3) {
		case 0:
			a = rng.Int64N(2001) - 1000
		case 1:
			a = int64(rng.Uint64() >> rng.UintN(63))
		default:
			a = int64(rng.Uint64())
		}
		n := 1 + rng.IntN(12)
		ratios := make([]int64, n)
		bound := []int64{2, 10, 1_000_000, maxI / int64(n)}[rng.IntN(4)]
		for i := range ratios {
			ratios[i] = rng.Int64N(bound)
		}
		ratios[rng.IntN(n)]++ // at least one positive

		m := mustNew(t, a, "EUR")
		parts, err := m.Allocate(ratios...)
		if err != nil {
			t.Fatalf("#%d %d.Allocate(%v): %v", iter, a, ratios, err)
		}
		if len(parts) != n {
			t.Fatalf("#%d got %d parts, want %d", iter, len(parts), n)
		}
		if s := sumExact(parts); s.Cmp(big.NewInt(a)) != 0 {
			t.Fatalf("#%d %d.Allocate(%v) = %v sums to %v", iter, a, ratios, parts, s)
		}
		var total big.Int
		for _, r := range ratios {
			total.Add(&total, big.NewInt(r))
		}
		for i, p := range parts {
			if p.Currency() != "EUR" {
				t.Fatalf("#%d part %d has currency %q", iter, i, p.Currency())
			}
			if ratios[i] == 0 && !p.IsZero() {
				t.Fatalf("#%d zero ratio at %d got %v", iter, i, p)
			}
			if (a > 0 && p.IsNegative()) || (a < 0 && p.IsPositive()) {
				t.Fatalf("#%d part %d = %v has the wrong sign for %d", iter, i, p, a)
			}
			// |part*total - a*ratio| < total, i.e. part is the exact share
			// truncated or bumped by one unit away from zero.
			exact := new(big.Int).Mul(big.NewInt(a), big.NewInt(ratios[i]))
			diff := new(big.Int).Mul(big.NewInt(p.Amount()), &total)
			diff.Sub(diff, exact).Abs(diff)
			if diff.Cmp(&total) >= 0 {
				t.Fatalf("#%d part %d = %v is not within one unit of %d*%d/%v", iter, i, p, a, ratios[i], &total)
			}
		}
		if a != minI {
			mirror, err := mustNew(t, -a, "EUR").Allocate(ratios...)
			if err != nil {
				t.Fatalf("#%d mirror: %v", iter, err)
			}
			for i := range parts {
				if mirror[i].Amount() != -parts[i].Amount() {
					t.Fatalf("#%d mirror part %d = %v, want -%v", iter, i, mirror[i], parts[i])
				}
			}
		}

		split, err := m.Split(n)
		if err != nil {
			t.Fatalf("#%d Split(%d): %v", iter, n, err)
		}
		if s := sumExact(split); s.Cmp(big.NewInt(a)) != 0 {
			t.Fatalf("#%d %d.Split(%d) sums to %v", iter, a, n, s)
		}
		ones := make([]int64, n)
		for i := range ones {
			ones[i] = 1
		}
		equal, err := m.Allocate(ones...)
		if err != nil {
			t.Fatalf("#%d Allocate(ones): %v", iter, err)
		}
		if diff := cmp.Diff(equal, split); diff != "" {
			t.Fatalf("#%d %d: Split(%d) differs from Allocate with equal ratios (-allocate +split):\n%s", iter, a, n, diff)
		}
	}
}
