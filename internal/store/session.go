package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SessionStore keeps web sessions in the shop database so that any node can
// serve any visitor. It implements scs.CtxStore.
type SessionStore struct{ s *Store }

// Sessions returns the session store.
func (s *Store) Sessions() SessionStore { return SessionStore{s} }

// FindCtx returns the data of an unexpired session.
func (ss SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := ss.s.r().QueryRowContext(ctx,
		`SELECT data FROM sessions WHERE token = $1 AND expiry > $2`, token, ss.s.now().Unix()).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, mapErr(err, "find session")
	}
	return b, true, nil
}

// CommitCtx stores or replaces a session.
func (ss SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := ss.s.w().ExecContext(ctx,
		`INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		 ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, expiry.Unix())
	return mapErr(err, "commit session")
}

// DeleteCtx removes a session; an unknown token is not an error.
func (ss SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := ss.s.w().ExecContext(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return mapErr(err, "delete session")
}

// Find implements scs.Store.
func (ss SessionStore) Find(token string) ([]byte, bool, error) {
	return ss.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (ss SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return ss.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (ss SessionStore) Delete(token string) error {
	return ss.DeleteCtx(context.Background(), token)
}

// DeleteExpired removes expired sessions and reports how many went.
func (ss SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := ss.s.w().ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, ss.s.now().Unix())
	if err != nil {
		return 0, mapErr(err, "delete expired sessions")
	}
	return res.RowsAffected()
}
