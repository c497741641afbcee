package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// JobStatus is where a job of the production queue stands.
type JobStatus string

// The states of a job. pending → running → done, or back to pending for
// another attempt after a back-off, or failed for good (a permanent error,
// or attempts exhausted); a failed job goes back to pending only when
// someone retries its order.
const (
	JobPending JobStatus = "pending"
	JobRunning JobStatus = "running"
	JobDone    JobStatus = "done"
	JobFailed  JobStatus = "failed"
)

// DefaultJobAttempts bounds the attempts of a job whose MaxAttempts is 0.
const DefaultJobAttempts = 10

// Job is one unit of durable background work (the production of an order
// or of one of its lines).
type Job struct {
	ID      int64
	Kind    string
	Key     string // idempotency key: one job per key, ever
	OrderID int64  // 0: none
	LineID  int64  // 0: none
	Payload json.RawMessage
	// Progress is what the job must remember across a crash; see
	// SetJobProgress.
	Progress    json.RawMessage
	Status      JobStatus
	Attempts    int // attempts started (counted when claimed)
	MaxAttempts int
	RunAt       time.Time
	// ClaimedUntil is the lease of the worker running the job; it is
	// also the claim's fencing token: MarkJobDone, MarkJobFailed and
	// SetJobProgress only act on the claim they were given.
	ClaimedUntil time.Time
	LastError    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const jobColumns = `id, kind, idem_key, order_id, line_id, payload, progress, status, attempts, max_attempts, run_at,
	claimed_until, last_error, created_at, updated_at`

// jobDue selects the jobs a worker may take at $1: pending ones whose time
// has come, and running ones whose worker's lease ran out (it crashed, or
// stopped before finishing).
const jobDue = `((status = 'pending' AND run_at <= $1) OR (status = 'running' AND claimed_until < $1))`

func scanJob(row rowScanner) (*Job, error) {
	var j Job
	var order, line sql.NullInt64
	var claimed sql.NullTime
	var payload, progress, status string
	err := row.Scan(&j.ID, &j.Kind, &j.Key, &order, &line, &payload, &progress, &status, &j.Attempts, &j.MaxAttempts,
		&j.RunAt, &claimed, &j.LastError, &j.CreatedAt, &j.UpdatedAt)
	if err != nil {
		return nil, err
	}
	j.OrderID, j.LineID, j.Status = order.Int64, line.Int64, JobStatus(status)
	j.Payload, j.Progress = json.RawMessage(payload), json.RawMessage(progress)
	if claimed.Valid {
		j.ClaimedUntil = claimed.Time
	}
	return &j, nil
}

// EnqueueJob inserts j as a pending job and sets its ID and timestamps.
// Call it on the Store of the transaction that records the cause of the
// job (the payment): the job then exists exactly when the cause does. A
// job with the same Key already existing is left as it is: EnqueueJob
// returns false and sets j to that job. A zero RunAt means now.
func (s *Store) EnqueueJob(ctx context.Context, j *Job) (created bool, err error) {
	if j.Kind == "" || j.Key == "" {
		return false, fmt.Errorf("%w: enqueue job: kind and key are required", ErrConstraint)
	}
	now := s.now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = DefaultJobAttempts
	}
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO jobs (kind, idem_key, order_id, line_id, payload, progress, status, attempts, max_attempts, run_at,
		                   last_error, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, '{}', 'pending', 0, $6, $7, '', $8, $8)
		 ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
		j.Kind, j.Key, nullID(j.OrderID), nullID(j.LineID), jsonText(j.Payload, "{}"), j.MaxAttempts, dbTime(j.RunAt), now).Scan(&j.ID)
	if errors.Is(err, sql.ErrNoRows) {
		old, err := s.JobByKey(ctx, j.Key)
		if err != nil {
			return false, err
		}
		*j = *old
		return false, nil
	}
	if err != nil {
		return false, mapErr(err, "enqueue job "+j.Key)
	}
	j.Status, j.Attempts, j.Progress, j.LastError, j.ClaimedUntil = JobPending, 0, json.RawMessage("{}"), "", time.Time{}
	j.RunAt, j.CreatedAt, j.UpdatedAt = dbTime(j.RunAt), now, now
	return true, nil
}

// JobByKey returns the job with that idempotency key.
func (s *Store) JobByKey(ctx context.Context, key string) (*Job, error) {
	j, err := scanJob(s.r().QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE idem_key = $1`, key))
	return j, mapErr(err, "job "+key)
}

// JobByID returns one job.
func (s *Store) JobByID(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(s.r().QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	return j, mapErr(err, fmt.Sprintf("job %d", id))
}

// ClaimJobs takes up to limit jobs due at now: it moves them to running,
// counts an attempt and holds them until now+lease, in one statement, so
// that two workers (two nodes) never run one job at once. A worker that
// dies holding jobs loses them when the lease ends and another takes them
// again: execution is at least once, and the jobs' work must be
// idempotent. Jobs come oldest due first.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*Job, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim jobs: limit %d and lease %s must be positive", limit, lease)
	}
	now = dbTime(now)
	// The materialised CTE picks, the UPDATE takes, and the repeated
	// jobDue condition is re-checked on the row as a concurrent worker
	// left it (PostgreSQL), so a job is never claimed twice. The pick is
	// a CTE rather than ClaimMails' "id IN (subquery)" because PostgreSQL
	// may run such a subquery more than once per statement, and with
	// SKIP LOCKED each run may pick other rows: the LIMIT is then not
	// kept (seen in TestJobs: 10 jobs claimed with a limit of 1).
	lock := ""
	if s.Engine() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	out, err := queryAll(ctx, s.w(), "claim jobs", scanJob,
		`WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE `+jobDue+` ORDER BY run_at, id LIMIT $4`+lock+`)
		 UPDATE jobs SET status = 'running', attempts = attempts + 1, claimed_until = $2, updated_at = $3
		 WHERE id IN (SELECT id FROM picked) AND `+jobDue+`
		 RETURNING `+jobColumns,
		now, dbTime(now.Add(lease)), s.now(), limit)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// claimed is the condition of the statements that settle a claimed job:
// the job is still running under the very claim the worker holds. A
// worker whose lease ran out and whose job was claimed again settles
// nothing (ErrNotFound), so its transaction rolls back.
const claimed = `id = $1 AND status = 'running' AND claimed_until = $2`

// MarkJobDone records that a claimed job finished. Call it in the
// transaction that records the job's results, so that they commit
// together. It returns ErrNotFound when j is no longer held under its
// claim.
func (s *Store) MarkJobDone(ctx context.Context, j *Job) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE jobs SET status = 'done', claimed_until = NULL, last_error = '', updated_at = $3 WHERE `+claimed,
		j.ID, dbTime(j.ClaimedUntil), s.now())
	if err := settled(res, err, fmt.Sprintf("mark job %d done", j.ID)); err != nil {
		return err
	}
	j.Status, j.ClaimedUntil, j.LastError = JobDone, time.Time{}, ""
	return nil
}

// MarkJobFailed records a failed attempt of a claimed job: it runs again at
// retryAt, or, when permanent, never again (until its order is retried).
// errText is kept for the back office. It returns ErrNotFound when j is no
// longer held under its claim.
func (s *Store) MarkJobFailed(ctx context.Context, j *Job, errText string, retryAt time.Time, permanent bool) error {
	status := JobPending
	if permanent {
		status = JobFailed
	}
	res, err := s.w().ExecContext(ctx,
		`UPDATE jobs SET status = $3, last_error = $4, run_at = $5, claimed_until = NULL, updated_at = $6 WHERE `+claimed,
		j.ID, dbTime(j.ClaimedUntil), string(status), errText, dbTime(retryAt), s.now())
	if err := settled(res, err, fmt.Sprintf("mark job %d failed", j.ID)); err != nil {
		return err
	}
	j.Status, j.LastError, j.RunAt, j.ClaimedUntil = status, errText, dbTime(retryAt), time.Time{}
	return nil
}

// SetJobProgress saves what a claimed job must remember if it crashes
// before finishing (e.g. "creating account ann"), in its own statement
// outside any transaction of the job's results. It returns ErrNotFound
// when j is no longer held under its claim.
func (s *Store) SetJobProgress(ctx context.Context, j *Job, progress json.RawMessage) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE jobs SET progress = $3, updated_at = $4 WHERE `+claimed,
		j.ID, dbTime(j.ClaimedUntil), jsonText(progress, "{}"), s.now())
	if err := settled(res, err, fmt.Sprintf("job %d progress", j.ID)); err != nil {
		return err
	}
	j.Progress = progress
	return nil
}

// RequeueJob puts a job that is not pending or running (done or failed)
// back to pending at runAt with its attempts reset, keeping its progress.
// It returns false when the job was pending or running already.
func (s *Store) RequeueJob(ctx context.Context, id int64, runAt time.Time) (bool, error) {
	res, err := s.w().ExecContext(ctx,
		`UPDATE jobs SET status = 'pending', attempts = 0, run_at = $2, claimed_until = NULL, updated_at = $3
		 WHERE id = $1 AND status IN ('done', 'failed')`, id, dbTime(runAt), s.now())
	if err != nil {
		return false, mapErr(err, fmt.Sprintf("requeue job %d", id))
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, fmt.Sprintf("requeue job %d", id))
}

// RequeueFailedJobs puts an order's failed jobs back to pending at runAt
// with their attempts reset, and returns how many.
func (s *Store) RequeueFailedJobs(ctx context.Context, orderID int64, runAt time.Time) (int, error) {
	res, err := s.w().ExecContext(ctx,
		`UPDATE jobs SET status = 'pending', attempts = 0, run_at = $2, claimed_until = NULL, updated_at = $3
		 WHERE order_id = $1 AND status = 'failed'`, orderID, dbTime(runAt), s.now())
	if err != nil {
		return 0, mapErr(err, fmt.Sprintf("requeue jobs of order %d", orderID))
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err, fmt.Sprintf("requeue jobs of order %d", orderID))
}

// JobsOfOrder returns an order's jobs, oldest first.
func (s *Store) JobsOfOrder(ctx context.Context, orderID int64) ([]*Job, error) {
	return queryAll(ctx, s.r(), "jobs of order", scanJob,
		`SELECT `+jobColumns+` FROM jobs WHERE order_id = $1 ORDER BY id`, orderID)
}

// ProductionDef is how a product is produced: its handler and parameters
// as the catalogue has them now.
type ProductionDef struct {
	ProductID     int64
	Code          string
	Handler       string
	HandlerParams json.RawMessage
}

// ProductionDefs returns the production definitions of the products with
// those IDs (missing ones are left out), for freezing bundle elements'
// handlers into production jobs.
func (s *Store) ProductionDefs(ctx context.Context, ids []int64) (map[int64]ProductionDef, error) {
	out := map[int64]ProductionDef{}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		var d ProductionDef
		var params string
		err := s.r().QueryRowContext(ctx, `SELECT id, code, handler, handler_params FROM products WHERE id = $1`, id).
			Scan(&d.ProductID, &d.Code, &d.Handler, &params)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, mapErr(err, "production definitions")
		}
		d.HandlerParams = json.RawMessage(params)
		out[id] = d
	}
	return out, nil
}
