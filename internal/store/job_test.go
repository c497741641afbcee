package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestJobs checks the production queue's claim, lease, fencing and retry
// rules on both engines.
func TestJobs(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		st := newStore(t, testkit.WithClock(func() time.Time { return now }))
		j := &store.Job{Kind: "k", Key: "a", Payload: []byte(`{"x":1}`)}
		if created, err := st.EnqueueJob(ctx, j); err != nil || !created || j.ID == 0 {
			t.Fatalf("EnqueueJob = %v, %v", created, err)
		}
		again := &store.Job{Kind: "k", Key: "a"}
		if created, err := st.EnqueueJob(ctx, again); err != nil || created || again.ID != j.ID {
			t.Fatalf("second EnqueueJob = %v, %v, id %d", created, err, again.ID)
		}
		for i := range 9 {
			_, err := st.EnqueueJob(ctx, &store.Job{Kind: "k", Key: "b" + string(rune('0'+i))})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Two workers claiming at once never share a job.
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				js, err := st.ClaimJobs(ctx, now, 4, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, j := range js {
					seen[j.ID]++
				}
			})
		}
		wg.Wait()
		if len(seen) != 10 {
			t.Errorf("claimed %d distinct jobs, want 10", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("job %d claimed %d times", id, n)
			}
		}
		if js, _ := st.ClaimJobs(ctx, now, 10, time.Minute); len(js) != 0 {
			t.Errorf("claimed %d leased jobs", len(js))
		}
		if js, _ := st.ClaimJobs(ctx, now, 1, time.Minute); len(js) != 0 {
			t.Errorf("claimed %d leased jobs", len(js))
		}
		// The lease runs out: another worker takes the job; the first
		// one's claim settles nothing.
		stale, _ := st.JobByID(ctx, j.ID)
		js, err := st.ClaimJobs(ctx, now.Add(2*time.Minute), 10, time.Hour)
		if err != nil || len(js) != 10 {
			t.Fatalf("reclaim = %d jobs, %v", len(js), err)
		}
		var cur *store.Job
		for _, x := range js {
			if x.ID == j.ID {
				cur = x
			}
		}
		if cur == nil || cur.Attempts != 2 {
			t.Fatalf("reclaimed %+v", cur)
		}
		if err := st.MarkJobDone(ctx, stale); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stale MarkJobDone = %v", err)
		}
		if err := st.SetJobProgress(ctx, cur, []byte(`{"p":"1"}`)); err != nil {
			t.Fatal(err)
		}
		retry := now.Add(time.Hour)
		if err := st.MarkJobFailed(ctx, cur, "boom", retry, false); err != nil {
			t.Fatal(err)
		}
		got, _ := st.JobByID(ctx, cur.ID)
		if got.Status != store.JobPending || got.LastError != "boom" || !got.RunAt.Equal(retry) || string(got.Progress) != `{"p":"1"}` {
			t.Errorf("after failure %+v", got)
		}
		js, _ = st.ClaimJobs(ctx, retry, 1, time.Minute)
		if len(js) != 1 || js[0].ID != cur.ID {
			t.Fatalf("claim after back-off = %+v", js)
		}
		if err := st.MarkJobFailed(ctx, js[0], "gone", retry, true); err != nil {
			t.Fatal(err)
		}
		if js, _ := st.ClaimJobs(ctx, retry.Add(2*time.Hour), 10, time.Minute); len(js) != 9 {
			t.Errorf("claimed %d, want the 9 others (the failed one stays)", len(js))
		}
		if ok, err := st.RequeueJob(ctx, cur.ID, retry); err != nil || !ok {
			t.Errorf("RequeueJob = %v, %v", ok, err)
		}
		got, _ = st.JobByID(ctx, cur.ID)
		if got.Status != store.JobPending || got.Attempts != 0 {
			t.Errorf("requeued %+v", got)
		}
	})
}

func TestReference(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		r := store.NewReference()
		if len(r) != 19 || r[4] != '-' || r[9] != '-' || r[14] != '-' || !store.ValidReference(r) || seen[r] {
			t.Fatalf("bad reference %q", r)
		}
		seen[r] = true
		if !store.ValidReference(strings.ToLower(strings.ReplaceAll(r, "-", ""))) {
			t.Errorf("%q without dashes, lower-cased, refused", r)
		}
		// Every single-character change is detected.
		for i := range r {
			if r[i] == '-' {
				continue
			}
			b := []byte(r)
			b[i] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(strings.IndexByte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", r[i])+7)%36]
			if store.ValidReference(string(b)) {
				t.Fatalf("%q accepted for %q", b, r)
			}
		}
	}
}
