package main

import (
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// transportErrorKey is the status-map key of requests that got no HTTP
// response (connection refused or reset, timeout, malformed response).
const transportErrorKey = "error"

// recorder collects the measurements of one virtual user. Each user owns
// its recorder, so recording takes no lock; recorders are merged once the
// run is over.
type recorder struct {
	latencies  []time.Duration // one per response, in completion order
	status     map[int]int64   // responses by status code
	transport  int64           // requests that got no response
	surprises  int64           // success responses the scenario refused
	orderCount int64           // orders completed
}

// newRecorder returns a recorder with room for expect latencies, so that
// recording does not allocate in the common case.
func newRecorder(expect int) *recorder {
	return &recorder{latencies: make([]time.Duration, 0, expect), status: map[int]int64{}}
}

// response records a request answered with status code after d (from
// sending the request to reading the last byte of the body).
func (r *recorder) response(code int, d time.Duration) {
	r.latencies = append(r.latencies, d)
	r.status[code]++
}

// transportError records a request that got no response. Its duration is
// not a latency of the server and is not recorded.
func (r *recorder) transportError() { r.transport++ }

// unexpected records that a response recorded with a success status was
// not what the scenario expected (a redirect to the wrong page, a page
// without its form): an error, though its status is not one.
func (r *recorder) unexpected() { r.surprises++ }

// order records an order completed.
func (r *recorder) order() { r.orderCount++ }

// isError reports whether a response status counts as an error: anything
// but 2xx and 3xx.
func isError(code int) bool { return code < 200 || code > 399 }

// Stats is the measured part of the report. Durations are milliseconds and
// rates are per second, formatted as exact decimal strings. Errors are the
// error statuses and transport errors of Status, plus the success
// responses a scenario did not expect (see User.Unexpected). Orders are
// the purchases completed, for the scenarios that buy (0 otherwise).
type Stats struct {
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	Status     map[string]int64 `json:"status"`
	RPS        string           `json:"rps"`
	Orders     int64            `json:"orders"`
	OrdersRate string           `json:"orders_per_s"`
	P50        string           `json:"p50_ms"`
	P90        string           `json:"p90_ms"`
	P99        string           `json:"p99_ms"`
	Max        string           `json:"max_ms"`
}

// summarize merges the recorders of a run whose measured window lasted
// elapsed.
func summarize(recs []*recorder, elapsed time.Duration) Stats {
	st := Stats{Status: map[string]int64{}}
	n := 0
	for _, r := range recs {
		n += len(r.latencies)
	}
	all := make([]time.Duration, 0, n)
	for _, r := range recs {
		all = append(all, r.latencies...)
		for code, c := range r.status {
			st.Status[strconv.Itoa(code)] += c
			st.Requests += c
			if isError(code) {
				st.Errors += c
			}
		}
		if r.transport > 0 {
			st.Status[transportErrorKey] += r.transport
			st.Requests += r.transport
			st.Errors += r.transport
		}
		st.Errors += r.surprises
		st.Orders += r.orderCount
	}
	slices.Sort(all)
	st.P50 = formatMillis(percentile(all, 500))
	st.P90 = formatMillis(percentile(all, 900))
	st.P99 = formatMillis(percentile(all, 990))
	st.Max = formatMillis(percentile(all, 1000))
	st.RPS = formatRate(st.Requests, elapsed)
	st.OrdersRate = formatRate(st.Orders, elapsed)
	return st
}

// percentile returns the nearest-rank percentile of sorted, with p in
// thousandths (500 is the median, 990 the 99th percentile, 1000 the
// maximum): the smallest value such that at least p/1000 of the values are
// less than or equal to it. It returns 0 for no values.
func percentile(sorted []time.Duration, perMille int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (perMille*n + 999) / 1000 // ceil(p*n), 1-based
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// formatMillis formats d as milliseconds with two decimals, rounded half up
// to the nearest 10µs: 1234567ns is "1.23", 1235000ns is "1.24".
func formatMillis(d time.Duration) string {
	return formatDecimal(int64(d), int64(time.Millisecond), 2)
}

// formatRate formats count per elapsed as a rate per second with one
// decimal; "0.0" when elapsed is not positive.
func formatRate(count int64, elapsed time.Duration) string {
	if elapsed <= 0 {
		return formatDecimal(0, 1, 1)
	}
	// count*1e9/elapsed in big integers: count*1e9*10 may exceed int64.
	num := new(big.Int).Mul(big.NewInt(count), big.NewInt(int64(time.Second)))
	return formatBig(num, big.NewInt(int64(elapsed)), 1)
}

// formatDecimal formats num/den with the given number of decimals, rounded
// half away from zero, using integer arithmetic only. den must be positive.
func formatDecimal(num, den int64, decimals int) string {
	return formatBig(big.NewInt(num), big.NewInt(den), decimals)
}

// formatBig is formatDecimal on big integers.
func formatBig(num, den *big.Int, decimals int) string {
	neg := num.Sign() < 0
	n := new(big.Int).Abs(num)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	// q = round(n*scale/den) = (2*n*scale + den) / (2*den)
	q := new(big.Int).Mul(n, scale)
	q.Lsh(q, 1).Add(q, den)
	q.Quo(q, new(big.Int).Lsh(den, 1))
	ip, fp := new(big.Int).QuoRem(q, scale, new(big.Int))
	var sb strings.Builder
	if neg && q.Sign() != 0 {
		sb.WriteByte('-')
	}
	sb.WriteString(ip.String())
	if decimals > 0 {
		frac := fp.String()
		sb.WriteByte('.')
		sb.WriteString(strings.Repeat("0", decimals-len(frac)))
		sb.WriteString(frac)
	}
	return sb.String()
}
