package pricing

import (
	"errors"
	"math/rand/v2"
	"testing"

	"courseshop/internal/money"
)

func m(t testing.TB, minor int64, cur string) money.Money {
	t.Helper()
	x, err := money.New(minor, cur)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCompute(t *testing.T) {
	lines := []Line{
		{Unit: m(t, 49000, "EUR"), Quantity: 3, RateBP: 2000}, // 1470.00 + 294.00
		{Unit: m(t, 1999, "EUR"), Quantity: 1, RateBP: 550},   // 19.99 + 1.099 -> 1.10
		{Unit: m(t, 333, "EUR"), Quantity: 3, RateBP: 2000},   // 9.99 + 1.998 -> 2.00
		{Unit: m(t, 12000, "EUR"), Quantity: 2, RateBP: 0},    // exempt
		{Unit: m(t, 5, "EUR"), Quantity: 1, RateBP: 1000},     // 0.05 + 0.005 -> 0.01 (half-up)
	}
	got, err := Compute("EUR", lines)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := [][3]int64{{147000, 29400, 176400}, {1999, 110, 2109}, {999, 200, 1199}, {24000, 0, 24000}, {5, 1, 6}}
	for i, w := range wantLines {
		a := got.Lines[i]
		if a.Untaxed.Amount() != w[0] || a.Tax.Amount() != w[1] || a.Taxed.Amount() != w[2] {
			t.Errorf("line %d = %v/%v/%v, want %v", i+1, a.Untaxed, a.Tax, a.Taxed, w)
		}
	}
	if got.Untaxed.Amount() != 174003 || got.Tax.Amount() != 29711 || got.Taxed.Amount() != 203714 {
		t.Errorf("totals = %v %v %v", got.Untaxed, got.Tax, got.Taxed)
	}
	wantRates := []struct{ bp, untaxed, tax int64 }{{0, 24000, 0}, {550, 1999, 110}, {1000, 5, 1}, {2000, 147999, 29600}}
	if len(got.ByRate) != len(wantRates) {
		t.Fatalf("ByRate = %+v", got.ByRate)
	}
	for i, w := range wantRates {
		r := got.ByRate[i]
		if r.RateBP != w.bp || r.Untaxed.Amount() != w.untaxed || r.Tax.Amount() != w.tax {
			t.Errorf("rate %d = %+v, want %+v", i, r, w)
		}
	}
}

// TestSumsAreExact: whatever the lines, totals are the sums of the line
// figures, and the per-rate breakdown adds up to the totals.
func TestSumsAreExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rates := []int64{0, 210, 550, 1000, 2000, 2100}
	for range 2000 {
		var lines []Line
		for range 1 + r.IntN(8) {
			lines = append(lines, Line{Unit: m(t, r.Int64N(1_000_000), "EUR"), Quantity: 1 + r.IntN(50), RateBP: rates[r.IntN(len(rates))]})
		}
		got, err := Compute("EUR", lines)
		if err != nil {
			t.Fatal(err)
		}
		var u, tx, tt, ru, rt int64
		for _, a := range got.Lines {
			u, tx, tt = u+a.Untaxed.Amount(), tx+a.Tax.Amount(), tt+a.Taxed.Amount()
			if a.Untaxed.Amount()+a.Tax.Amount() != a.Taxed.Amount() {
				t.Fatalf("line does not add up: %+v", a)
			}
		}
		for _, x := range got.ByRate {
			ru, rt = ru+x.Untaxed.Amount(), rt+x.Tax.Amount()
		}
		if u != got.Untaxed.Amount() || tx != got.Tax.Amount() || tt != got.Taxed.Amount() || ru != u || rt != tx {
			t.Fatalf("sums differ for %+v: %+v", lines, got)
		}
	}
}

func TestComputeErrors(t *testing.T) {
	if _, err := Compute("EUR", []Line{{Unit: m(t, 1, "EUR"), Quantity: 0}}); !errors.Is(err, ErrQuantity) {
		t.Errorf("zero quantity: %v", err)
	}
	if _, err := Compute("EUR", []Line{{Unit: m(t, 1, "CHF"), Quantity: 1}}); !errors.Is(err, money.ErrCurrencyMismatch) {
		t.Errorf("mixed currency: %v", err)
	}
	if _, err := Compute("XXX1", nil); err == nil {
		t.Error("bad currency accepted")
	}
	if _, err := Compute("EUR", []Line{{Unit: m(t, 1<<62, "EUR"), Quantity: 4}}); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("overflow: %v", err)
	}
	empty, err := Compute("JPY", nil)
	if err != nil || !empty.Taxed.IsZero() || empty.Taxed.Currency() != "JPY" {
		t.Errorf("empty = %+v, %v", empty, err)
	}
}

func TestUnitTaxed(t *testing.T) {
	got, err := UnitTaxed(m(t, 1005, "EUR"), 1000)
	if err != nil || got.Amount() != 1106 {
		t.Errorf("UnitTaxed = %v, %v", got, err)
	}
}

func BenchmarkCompute(b *testing.B) {
	lines := []Line{{Unit: m(b, 49000, "EUR"), Quantity: 3, RateBP: 2000}, {Unit: m(b, 1999, "EUR"), Quantity: 1, RateBP: 550}, {Unit: m(b, 333, "EUR"), Quantity: 12, RateBP: 2000}}
	for b.Loop() {
		if _, err := Compute("EUR", lines); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for bp, want := range map[int64]string{2000: "20", 550: "5.5", 210: "2.1", 0: "0", 1: "0.01", 777: "7.77"} {
		if got := FormatRate(bp); got != want {
			t.Errorf("FormatRate(%d) = %q, want %q", bp, got, want)
		}
	}
}
