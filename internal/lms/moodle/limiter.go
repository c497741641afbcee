package moodle

import (
	"context"
	"sync"
	"time"
)

// limiter spaces requests at least interval apart (a token bucket holding
// one token): a shop that enrols a whole session at once must not flood
// the Moodle site. The clock is injectable so tests need not sleep.
type limiter struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // earliest start of the next request
}

func newLimiter(perSecond int) *limiter {
	l := &limiter{now: time.Now, sleep: sleepCtx}
	if perSecond > 0 {
		l.interval = time.Second / time.Duration(perSecond)
	}
	return l
}

// wait blocks until the caller may send a request, or ctx ends. A slot is
// reserved before sleeping, so concurrent callers queue in order instead of
// waking together.
func (l *limiter) wait(ctx context.Context) error {
	if l.interval <= 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return l.sleep(ctx, d)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
