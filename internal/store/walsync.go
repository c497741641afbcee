package store

import (
	"fmt"
	"os"
	"sync"
)

// walSyncer makes SQLite transactions durable with group commit. The
// writer connection commits them with synchronous=NORMAL, which writes the
// transaction to the write-ahead log without waiting for the disk, and
// releases the single write lock at once; each caller that needs its
// commit durable then waits here, outside the lock, for an fsync of the log
// that started after its commit. Callers arriving while an fsync runs share
// the next one. Syncing the log file through a descriptor of our own is
// enough: fsync flushes every written page of the file, and the log is the
// only place a committed, not yet checkpointed transaction lives (SQLite
// syncs the log itself before every checkpoint).
type walSyncer struct {
	path string // the database's -wal file

	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // fsyncs started
	done    uint64 // the last fsync finished
	running bool
	err     error // of the last fsync finished
}

func newWALSyncer(dbPath string) *walSyncer {
	w := &walSyncer{path: dbPath + "-wal"}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// sync returns once everything committed before the call is on disk.
func (w *walSyncer) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// A running fsync may have started before our commit: wait for the
	// next one.
	target := w.started + 1
	for w.done < target {
		if w.running {
			w.cond.Wait()
			continue
		}
		w.running = true
		w.started++
		n := w.started
		w.mu.Unlock()
		err := fsync(w.path)
		w.mu.Lock()
		w.running, w.done, w.err = false, n, err
		w.cond.Broadcast()
	}
	return w.err
}

// syncs returns how many fsyncs finished, for tests.
func (w *walSyncer) syncs() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

func fsync(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: sync the write-ahead log: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: sync the write-ahead log: %w", err)
	}
	return nil
}
