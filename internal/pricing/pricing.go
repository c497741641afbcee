// Package pricing computes what a list of lines costs: each line's untaxed
// amount, tax and taxed amount, and the totals with a breakdown per tax rate.
// Carts, orders, invoices and payments all take their figures from here, so
// that the sum of the lines always equals every total shown, mailed,
// invoiced and charged.
//
// Rounding: a line's untaxed amount is unit price × quantity (exact, in
// minor units); its tax is rounded half-up (half away from zero) once, on
// the line; totals are plain sums of line figures. Never is a tax computed
// on a total.
package pricing

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"courseshop/internal/money"
)

// Line is one priced line: a unit price, a quantity and a tax rate.
type Line struct {
	Unit     money.Money // untaxed unit price
	Quantity int
	RateBP   int64 // tax rate in basis points
}

// Amounts are the computed figures of one line.
type Amounts struct {
	Untaxed money.Money
	Tax     money.Money
	Taxed   money.Money
}

// RateTotal is the part of the totals taxed at one rate.
type RateTotal struct {
	RateBP  int64
	Untaxed money.Money
	Tax     money.Money
}

// Totals are the sums over all lines.
type Totals struct {
	Lines   []Amounts // in the order of the input lines
	Untaxed money.Money
	Tax     money.Money
	Taxed   money.Money
	ByRate  []RateTotal // ascending rate
}

// ErrQuantity is returned for a line whose quantity is not positive.
var ErrQuantity = errors.New("pricing: quantity must be positive")

// Compute prices lines in currency. Every line must be in currency.
func Compute(currency string, lines []Line) (*Totals, error) {
	zero, err := money.Zero(currency)
	if err != nil {
		return nil, err
	}
	t := &Totals{Untaxed: zero, Tax: zero, Taxed: zero, Lines: make([]Amounts, len(lines))}
	byRate := map[int64]*RateTotal{}
	for i, l := range lines {
		if l.Quantity <= 0 {
			return nil, fmt.Errorf("line %d: %w", i+1, ErrQuantity)
		}
		a, err := line(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		t.Lines[i] = a
		rt := byRate[l.RateBP]
		if rt == nil {
			rt = &RateTotal{RateBP: l.RateBP, Untaxed: zero, Tax: zero}
			byRate[l.RateBP] = rt
		}
		for _, sum := range []struct {
			dst *money.Money
			add money.Money
		}{
			{&t.Untaxed, a.Untaxed}, {&t.Tax, a.Tax}, {&t.Taxed, a.Taxed}, {&rt.Untaxed, a.Untaxed}, {&rt.Tax, a.Tax},
		} {
			if *sum.dst, err = sum.dst.Add(sum.add); err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
		}
	}
	for _, rt := range byRate {
		t.ByRate = append(t.ByRate, *rt)
	}
	sort.Slice(t.ByRate, func(i, j int) bool { return t.ByRate[i].RateBP < t.ByRate[j].RateBP })
	return t, nil
}

func line(l Line) (Amounts, error) {
	untaxed, err := l.Unit.Mul(int64(l.Quantity))
	if err != nil {
		return Amounts{}, err
	}
	tax, err := untaxed.ApplyRate(l.RateBP)
	if err != nil {
		return Amounts{}, err
	}
	taxed, err := untaxed.Add(tax)
	if err != nil {
		return Amounts{}, err
	}
	return Amounts{Untaxed: untaxed, Tax: tax, Taxed: taxed}, nil
}

// UnitTaxed returns the taxed price of one unit, rounded like a line of
// quantity 1. Catalogue pages show it next to the untaxed price.
func UnitTaxed(unit money.Money, rateBP int64) (money.Money, error) {
	a, err := line(Line{Unit: unit, Quantity: 1, RateBP: rateBP})
	return a.Taxed, err
}

// FormatRate writes a rate in basis points as a plain percentage number:
// 2000 → "20", 550 → "5.5", 210 → "2.1".
func FormatRate(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if frac := bp % 100; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s
}
