package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// limiter allows each key (a client address) at most max events per
// window. It is per node: good enough to slow down guessing, which is all
// it is for; the durable per-cart limits live in the database.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(max int, per time.Duration) *limiter {
	return &limiter{max: max, window: per, hits: map[string]*window{}}
}

// allow records an event for key and reports whether it is within limits.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 10000 {
		for k, w := range l.hits {
			if now.Sub(w.start) > l.window {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w == nil || now.Sub(w.start) > l.window {
		w = &window{start: now}
		l.hits[key] = w
	}
	w.count++
	return w.count <= l.max
}

// clientIP is the address the request came from. Behind a reverse proxy
// this is the proxy; trusted forwarding headers come with deployment
// settings in a later issue.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
