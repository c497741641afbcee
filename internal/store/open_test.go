package store_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"courseshop/internal/store"
)

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestOpenErrors(t *testing.T) {
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dsn, want string }{
		{"mysql://root@localhost/shop", `unknown database scheme "mysql"`},
		{"courseshop.db", `unknown database scheme "courseshop.db"`},
		{"sqlite:", "empty path"},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing", "shop.db"), "does not exist"},
		{"postgres://postgres@127.0.0.1:1/shop?connect_timeout=2", "postgres: cannot reach 127.0.0.1:1/shop"},
		{"postgres://bad host/", "postgres: invalid DSN"},
	} {
		_, err := store.Open(context.Background(), tc.dsn, store.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want error containing %q", tc.dsn, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%q) error spans lines: %q", tc.dsn, err)
		}
	}
	if os.Geteuid() != 0 { // root writes anywhere
		_, err := store.Open(context.Background(), "sqlite:"+filepath.Join(ro, "shop.db"), store.Options{})
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("read-only directory: %v", err)
		}
	}
}

// TestSQLitePragmas checks the settings the store promises: WAL, foreign
// keys, synchronous=FULL on the writer, and read-only readers.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.SQLitePragmas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "10000", "reader_query_only": "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
