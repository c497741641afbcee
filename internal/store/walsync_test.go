package store

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestWALSyncerGroupsCallers: concurrent callers all return after an fsync
// that started after they called, sharing fsyncs; a failed fsync reaches
// its callers.
func TestWALSyncerGroupsCallers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(db+"-wal", []byte("log"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWALSyncer(db)
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			w.mu.Lock()
			before := w.started
			w.mu.Unlock()
			if err := w.sync(); err != nil {
				t.Error(err)
			}
			// The fsync that covered this caller started after it called.
			if w.syncs() <= before {
				t.Errorf("returned after %d fsyncs, %d had started before the call", w.syncs(), before)
			}
		})
	}
	wg.Wait()
	if n := w.syncs(); n < 1 || n > callers {
		t.Errorf("%d fsyncs for %d callers", n, callers)
	}
	t.Logf("%d callers, %d fsyncs", callers, w.syncs())

	missing := newWALSyncer(filepath.Join(t.TempDir(), "none.db"))
	if err := missing.sync(); err == nil {
		t.Error("sync of a missing log succeeded")
	}
}
