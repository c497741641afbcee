package store

import "context"

// SQLitePragmas reads the settings of the writer and of a reader connection.
func (s *Store) SQLitePragmas(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "foreign_keys", "synchronous", "busy_timeout"} {
		var v string
		if err := s.writer.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			return nil, err
		}
		out[p] = v
	}
	var v string
	if err := s.reader.QueryRowContext(ctx, "PRAGMA query_only").Scan(&v); err != nil {
		return nil, err
	}
	out["reader_query_only"] = v
	return out, nil
}

// CommitSync returns how the writer (or the transaction s is bound to)
// commits: SQLite's synchronous level (1 NORMAL, 2 FULL) or PostgreSQL's
// synchronous_commit.
func (s *Store) CommitSync(ctx context.Context) (string, error) {
	q := "PRAGMA synchronous"
	if s.engine == Postgres {
		q = "SHOW synchronous_commit"
	}
	var v string
	err := s.w().QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// WALSyncs returns how many group-commit fsyncs of the SQLite write-ahead
// log finished; 0 on PostgreSQL.
func (s *Store) WALSyncs() uint64 {
	if s.wal == nil {
		return 0
	}
	return s.wal.syncs()
}
