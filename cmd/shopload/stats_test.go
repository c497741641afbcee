package main

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	ten := hundred[:10]
	for _, tc := range []struct {
		name     string
		sorted   []time.Duration
		perMille int
		want     time.Duration
	}{
		{"empty", nil, 500, 0},
		{"one p50", []time.Duration{ms(7)}, 500, ms(7)},
		{"one p99", []time.Duration{ms(7)}, 990, ms(7)},
		{"100 p50", hundred, 500, ms(50)},
		{"100 p90", hundred, 900, ms(90)},
		{"100 p99", hundred, 990, ms(99)},
		{"100 max", hundred, 1000, ms(100)},
		{"10 p50", ten, 500, ms(5)},
		{"10 p90", ten, 900, ms(9)},
		{"10 p99", ten, 990, ms(10)}, // ceil(9.9) = 10th
		{"10 p0", ten, 0, ms(1)},
	} {
		if got := percentile(tc.sorted, tc.perMille); got != tc.want {
			t.Errorf("%s: percentile = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFormatMillis(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0:                          "0.00",
		time.Nanosecond:            "0.00",
		4999 * time.Nanosecond:     "0.00",
		5000 * time.Nanosecond:     "0.01", // half up
		1234567 * time.Nanosecond:  "1.23",
		1235000 * time.Nanosecond:  "1.24",
		2500 * time.Microsecond:    "2.50",
		9800 * time.Microsecond:    "9.80",
		40100 * time.Microsecond:   "40.10",
		time.Second:                "1000.00",
		90 * time.Minute:           "5400000.00",
		-1234567 * time.Nanosecond: "-1.23",
	} {
		if got := formatMillis(d); got != want {
			t.Errorf("formatMillis(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		count   int64
		elapsed time.Duration
		want    string
	}{
		{0, time.Second, "0.0"},
		{10, 0, "0.0"},
		{123456, 10 * time.Second, "12345.6"},
		{1, 3 * time.Second, "0.3"},
		{2, 3 * time.Second, "0.7"},
		{1, 300 * time.Millisecond, "3.3"},
		{1 << 62, time.Second, "4611686018427387904.0"}, // count*1e9 overflows int64
	} {
		if got := formatRate(tc.count, tc.elapsed); got != tc.want {
			t.Errorf("formatRate(%d, %v) = %q, want %q", tc.count, tc.elapsed, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	a, b := newRecorder(4), newRecorder(4)
	for i := 1; i <= 50; i++ {
		a.response(200, time.Duration(i)*time.Millisecond)
		b.response(200, time.Duration(50+i)*time.Millisecond)
	}
	a.response(404, 0) // counted in latencies too: 101 values
	b.response(302, time.Millisecond)
	b.transportError()
	b.transportError()
	b.unexpected() // the 302 led to the wrong page
	for range 3 {
		a.order()
	}
	b.order()

	st := summarize([]*recorder{a, b}, 2*time.Second)
	if st.Requests != 104 || st.Errors != 4 {
		t.Errorf("requests %d errors %d, want 104 and 4", st.Requests, st.Errors)
	}
	if st.Orders != 4 || st.OrdersRate != "2.0" {
		t.Errorf("orders %d orders_per_s %q, want 4 and 2.0", st.Orders, st.OrdersRate)
	}
	wantStatus := map[string]int64{"200": 100, "302": 1, "404": 1, "error": 2}
	if !maps.Equal(st.Status, wantStatus) {
		t.Errorf("status %v, want %v", st.Status, wantStatus)
	}
	// Sorted latencies: 0, 1, 1, 2, ..., 100 (102 values; the k-th from 0 is k-1 ms
	// for k >= 1): nearest ranks 51, 92, 101 and 102.
	got := []string{st.P50, st.P90, st.P99, st.Max, st.RPS}
	want := []string{"49.00", "90.00", "99.00", "100.00", "52.0"}
	if !slices.Equal(got, want) {
		t.Errorf("p50 p90 p99 max rps = %q, want %q", got, want)
	}

	empty := summarize(nil, time.Second)
	if empty.Requests != 0 || empty.P50 != "0.00" || empty.Max != "0.00" || empty.RPS != "0.0" || empty.Orders != 0 || empty.OrdersRate != "0.0" || empty.Status == nil {
		t.Errorf("empty summary = %+v", empty)
	}
}
