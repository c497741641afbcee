package moodle

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"courseshop/internal/lms"
)

func TestEncodeBrackets(t *testing.T) {
	got, err := encode(params{
		"field":  "email",
		"values": []string{"a@x.org", "b@x.org"},
		"users": []params{
			{"username": "ann", "email": "ann@x.org", "createpassword": true, "suspended": false, "skipped": nil,
				"customfields": []params{{"type": "company", "value": "ACME"}}},
			{"username": "bob", "id": int64(42), "n": 7},
		},
		"members": []params{{"cohorttype": params{"type": "idnumber", "value": "BUYERS"}}},
		"ids":     []int64{3, 4},
		"mixed":   []any{"x", 1, true},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"field":     {"email"},
		"values[0]": {"a@x.org"}, "values[1]": {"b@x.org"},
		"users[0][username]": {"ann"}, "users[0][email]": {"ann@x.org"}, "users[0][createpassword]": {"1"}, "users[0][suspended]": {"0"},
		"users[0][customfields][0][type]": {"company"}, "users[0][customfields][0][value]": {"ACME"},
		"users[1][username]": {"bob"}, "users[1][id]": {"42"}, "users[1][n]": {"7"},
		"members[0][cohorttype][type]": {"idnumber"}, "members[0][cohorttype][value]": {"BUYERS"},
		"ids[0]": {"3"}, "ids[1]": {"4"},
		"mixed[0]": {"x"}, "mixed[1]": {"1"}, "mixed[2]": {"1"},
	}
	if got.Encode() != want.Encode() {
		t.Errorf("encode:\n got  %s\n want %s", got.Encode(), want.Encode())
	}
	// The wire form percent-encodes the brackets.
	if e := (url.Values{"users[0][email]": {"a+b@x.org"}}).Encode(); e != "users%5B0%5D%5Bemail%5D=a%2Bb%40x.org" {
		t.Errorf("wire form %s", e)
	}
	if _, err := encode(params{"bad": struct{}{}}); err == nil {
		t.Error("an unknown type was encoded")
	}
	empty, err := encode(nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("encode(nil) = %v, %v", empty, err)
	}
}

// fakeClock is a clock that moves only when the limiter sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	c.sleeps++
	return ctx.Err()
}

func TestLimiterSpacesRequests(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	l := newLimiter(10)
	l.now, l.sleep = clock.Now, clock.Sleep
	start := clock.Now()
	for range 20 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// The first goes at once, the 19 others 100ms apart.
	if got := clock.Now().Sub(start); got != 1900*time.Millisecond {
		t.Errorf("20 requests at 10/s took %v, want 1.9s", got)
	}
	// After a pause the budget does not pile up: one token at most.
	clock.mu.Lock()
	clock.now = clock.now.Add(10 * time.Second)
	clock.mu.Unlock()
	before := clock.slept
	for range 3 {
		l.wait(context.Background())
	}
	if got := clock.slept - before; got != 200*time.Millisecond {
		t.Errorf("after a pause, 3 requests waited %v, want 200ms", got)
	}
}

func TestLimiterRealTimeAndCancel(t *testing.T) {
	l := newLimiter(50)
	start := time.Now()
	for range 6 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Since(start); got < 95*time.Millisecond {
		t.Errorf("6 requests at 50/s took %v, want ≥ 100ms", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx); err == nil {
		t.Error("wait ignored a cancelled context")
	}
	if err := newLimiter(-1).wait(context.Background()); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

func TestParseRelease(t *testing.T) {
	for in, want := range map[string]Version{
		"4.5.6 (Build: 20250811)": {4, 5},
		"5.2 (Build: 20260420)":   {5, 2},
		"5.1dev+ (Build: 2025)":   {5, 1},
		"10.0":                    {10, 0},
	} {
		got, err := ParseRelease(in)
		if err != nil || got != want {
			t.Errorf("ParseRelease(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "five", "4"} {
		if _, err := ParseRelease(in); err == nil {
			t.Errorf("ParseRelease(%q) succeeded", in)
		}
	}
	if !(Version{5, 2}).AtLeast(5, 2) || (Version{5, 1}).AtLeast(5, 2) || !(Version{6, 0}).AtLeast(5, 2) {
		t.Error("AtLeast")
	}
}

func TestDecodeAnswer(t *testing.T) {
	var out []int
	if err := decodeAnswer("f", []byte(" null\n"), nil); err != nil {
		t.Errorf("null: %v", err)
	}
	if err := decodeAnswer("f", []byte("[1,2]"), &out); err != nil || len(out) != 2 {
		t.Errorf("list: %v %v", out, err)
	}
	err := decodeAnswer("f", []byte(`{"exception":"moodle_exception","errorcode":"sitemaintenance","message":"down"}`), nil)
	if err == nil || !lms.Retryable(err) {
		t.Errorf("maintenance: %v", err)
	}
	if err := decodeAnswer("f", []byte("<html>"), &out); err == nil || lms.Retryable(err) {
		t.Errorf("html: %v", err)
	}
	if err := decodeAnswer("f", []byte(""), &out); err == nil {
		t.Error("empty body accepted")
	}
	var f struct{ N flexInt }
	for in, want := range map[string]flexInt{`{"N":1}`: 1, `{"N":"7"}`: 7, `{"N":true}`: 1, `{"N":null}`: 0} {
		if err := decodeAnswer("f", []byte(in), &f); err != nil || f.N != want {
			t.Errorf("flexInt %s = %d, %v", in, f.N, err)
		}
	}
	if err := decodeAnswer("f", []byte(`{"N":"1.5"}`), &f); err == nil {
		t.Error("flexInt took 1.5")
	}
}
