package money

import "testing"

func BenchmarkApplyRate(b *testing.B) {
	m := mustNew(b, 1999, "EUR")
	for b.Loop() {
		if _, err := m.ApplyRate(550); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyRateLarge(b *testing.B) {
	// a*bp exceeds int64 here, exercising the 128-bit path fully.
	m := mustNew(b, 922337203685477580, "EUR")
	for b.Loop() {
		if _, err := m.ApplyRate(2000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	x, y := mustNew(b, 1999, "EUR"), mustNew(b, 550, "EUR")
	for b.Loop() {
		if _, err := x.Add(y); err != nil {
			b.Fatal(err)
		}
	}
}
