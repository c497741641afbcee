// Package production turns paid orders into what was bought: LMS accounts,
// enrolments and product instances. It is a durable job queue of its own
// (table jobs, store/job.go) with the guarantees of a queue like River:
//
//   - Jobs are written in the transaction that records the payment (the
//     order service calls Engine.Enqueue from its "queue_production"
//     effect), so a paid order always has its jobs and a rolled-back
//     payment has none.
//   - Workers claim due jobs with a lease (store.ClaimJobs): two nodes
//     never run one job at once; a worker that dies loses its jobs when the
//     lease ends and another runs them again.
//   - A failure the LMS calls retryable (lms.Retryable), or any failure of
//     the database or the network, is tried again with exponential
//     back-off until the job's attempts run out; a permanent one (a
//     missing course, bad parameters) stops at once.
//   - Execution is at least once; the effect is exactly once because each
//     job's results (instances, mails, line status, order status, timeline)
//     commit in one transaction with the job marked done, under the claim
//     the worker holds, and because the LMS calls are upserts (Enrol) and
//     handlers skip what an earlier attempt recorded.
//
// An order is produced in two phases. The first job ("prepay", one per
// order) finds or creates the buyer's LMS account and binds the customer
// to it (rule C3), then, in the transaction that marks it done, queues one
// job per line ("line"). Each line job runs the handler of its product, or
// of each element of a bundle line, with the handler and parameters frozen
// when production was queued. When the last line is produced the order
// moves SOLDOUT → COMPLETE; a line that fails for good moves it to FAILED,
// and RetryOrder moves it back to SOLDOUT, which queues the failed jobs
// again. Every attempt is an entry of the order's timeline (kind
// "production").
package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/store"
)

// Job kinds.
const (
	KindPrepay = "prepay" // bind the buyer's account, then queue the lines
	KindLine   = "line"   // produce one line
	// KindLifecycle is the daily lifecycle pass (lifecycle.go), one job
	// per day.
	KindLifecycle = "lifecycle"
)

// Actor is who production events are recorded as.
const Actor = "system:production"

// Options tune an Engine; the zero value is fine.
type Options struct {
	// Now is the clock (tests set it).
	Now func() time.Time
	// PollInterval is how often Run looks for due jobs (default 1s).
	PollInterval time.Duration
	// Lease is how long a claimed job is held before another worker may
	// take it again (default 5 minutes): longer than any job takes.
	Lease time.Duration
	// Batch is how many jobs Run claims at once (default 10).
	Batch int
	// MaxAttempts bounds the attempts of a job (default 10).
	MaxAttempts int
	// Backoff is the wait after a first failed attempt, doubled after each
	// further one (default 30s), up to MaxBackoff (default 1 hour).
	Backoff, MaxBackoff time.Duration
	// LMSURL resolves a relative password-setting link of the connector
	// into the absolute one that mails need.
	LMSURL string
	// SeatReleaseGrace is how long after its enrolment starts a seat may
	// still be released (ReleaseSeat); 0 (the default): only until then.
	SeatReleaseGrace time.Duration
	// ExpiringDays is how many days before its end an instance is
	// "expiring" (default 30).
	ExpiringDays int
	// AccountGrace is how long after the end of its last product an LMS
	// account the shop created is suspended (rule C8; default 30 days).
	AccountGrace time.Duration
	// ReminderDays is how many days before an enrolment of a renewable
	// product ends its customer is reminded to renew (default 14).
	ReminderDays int
	// ShopURL is the shop's public address, for the links of the mails
	// the lifecycle pass sends (the customer's support area); renewal
	// reminders fail without it, since a mail needs an absolute link.
	ShopURL string
	// LifecycleCheck is how often Run makes sure the day's lifecycle pass
	// is queued (default 1 hour; negative: never, for tests).
	LifecycleCheck time.Duration
	// Handlers replaces the built-in handlers (NewRegistry).
	Handlers *Registry
	// Logger receives failures of Run; nil discards them.
	Logger *slog.Logger
}

// Engine runs production. It is safe for concurrent use; several engines
// (nodes) may run on one database.
type Engine struct {
	store    *store.Store
	lms      *lms.Directory
	outbox   *mail.Outbox
	orders   *orders.Service
	handlers *Registry
	now      func() time.Time
	opt      Options
	log      *slog.Logger

	// crash, set by tests only, is asked before a job's results are
	// committed; true abandons the job there, as a process dying would.
	crash func(j *store.Job) bool
}

// New returns an engine producing, for each shop, with its connector in
// sites, queuing mails with outbox. Call UseOrders before Run or
// RetryOrder.
func New(st *store.Store, sites *lms.Directory, outbox *mail.Outbox, opt Options) *Engine {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Second
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	if opt.Batch <= 0 {
		opt.Batch = 10
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = store.DefaultJobAttempts
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 30 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = time.Hour
	}
	if opt.ExpiringDays <= 0 {
		opt.ExpiringDays = 30
	}
	if opt.AccountGrace <= 0 {
		opt.AccountGrace = 30 * 24 * time.Hour
	}
	if opt.ReminderDays <= 0 {
		opt.ReminderDays = 14
	}
	if opt.LifecycleCheck == 0 {
		opt.LifecycleCheck = time.Hour
	}
	h := opt.Handlers
	if h == nil {
		h = NewRegistry()
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opt.Now
	return &Engine{store: st, lms: sites, outbox: outbox, handlers: h, opt: opt, log: log,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// UseOrders gives the engine the order service whose transitions it uses
// (the service, in turn, takes the engine as its Options.Production: one
// of the two is made first).
func (e *Engine) UseOrders(svc *orders.Service) { e.orders = svc }

// Handlers returns the handler registry, for validating products.
func (e *Engine) Handlers() *Registry { return e.handlers }

// orderPayload is the prepay job's payload: the order's lines with what
// each will produce, frozen when production was queued.
type orderPayload struct {
	Lines []linePayload `json:"lines"`
}

// linePayload is a line job's payload.
type linePayload struct {
	LineID   int64  `json:"line_id"`
	Position int    `json:"position"`
	Code     string `json:"code"`
	Units    []Unit `json:"units"`
	BuyerRef string `json:"buyer_ref,omitempty"` // set when the line job is queued
	Base     string `json:"base"`                // RFC 3339: when production was queued
}

// Enqueue queues the production of o within tx, the transaction of the
// order's transition to SOLDOUT or PREPROD (or back to SOLDOUT from
// FAILED): it implements orders.Production. The order's handlers and
// parameters, bundle elements included (from the line snapshots and the
// live definitions of the elements), are frozen in the job. Enqueuing an
// order again (retry, PREPROD paid later) queues its failed jobs and its
// first phase again; what was produced is not produced twice.
func (e *Engine) Enqueue(ctx context.Context, tx *store.Store, o *order.Order) error {
	now := e.now()
	p, err := e.payload(ctx, tx, o, now)
	if err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	j := &store.Job{Kind: KindPrepay, Key: prepayKey(o.ID), OrderID: o.ID, Payload: b, MaxAttempts: e.opt.MaxAttempts, RunAt: now}
	created, err := tx.EnqueueJob(ctx, j)
	if err != nil {
		return err
	}
	if created {
		return nil
	}
	if _, err := tx.RequeueJob(ctx, j.ID, now); err != nil {
		return err
	}
	if _, err := tx.RequeueFailedJobs(ctx, o.ID, now); err != nil {
		return err
	}
	for _, l := range o.Lines {
		if l.Production == order.ProductionFailed {
			if err := tx.SetLineProduction(ctx, l.ID, order.ProductionPending, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

func prepayKey(orderID int64) string { return "prepay:" + strconv.FormatInt(orderID, 10) }
func lineKey(lineID int64) string    { return "line:" + strconv.FormatInt(lineID, 10) }

func (e *Engine) payload(ctx context.Context, tx *store.Store, o *order.Order, now time.Time) (orderPayload, error) {
	var ids []int64
	for _, l := range o.Lines {
		for _, el := range l.Snapshot.Elements {
			ids = append(ids, el.ProductID)
		}
	}
	defs, err := tx.ProductionDefs(ctx, ids)
	if err != nil {
		return orderPayload{}, err
	}
	var p orderPayload
	for _, l := range o.Lines {
		lp := linePayload{LineID: l.ID, Position: l.Position, Code: l.Code, Base: now.Format(time.RFC3339Nano)}
		if l.Snapshot.Handler != "" {
			lp.Units = append(lp.Units, Unit{ProductID: l.ProductID, Code: l.Code, Handler: l.Snapshot.Handler,
				Params: l.Snapshot.HandlerParams, Quantity: l.Quantity})
		}
		for i, el := range l.Snapshot.Elements {
			d, ok := defs[el.ProductID]
			if !ok || d.Handler == "" {
				continue // deleted since, or nothing to produce
			}
			lp.Units = append(lp.Units, Unit{Key: "e" + strconv.Itoa(i+1) + ":", ProductID: el.ProductID, Code: el.Code,
				Handler: d.Handler, Params: d.HandlerParams, Quantity: l.Quantity * el.Quantity})
		}
		p.Lines = append(p.Lines, lp)
	}
	return p, nil
}

// Run works until ctx ends: every poll interval it claims due jobs and
// runs them one after the other, and every Options.LifecycleCheck it
// queues the day's lifecycle pass (ScheduleLifecycle), which one worker
// of the cluster then runs. When ctx ends, the job in flight is finished
// (its LMS calls and final transaction use a context that is not
// cancelled) and Run returns; jobs claimed but not started are taken again
// by any worker when their lease ends.
func (e *Engine) Run(ctx context.Context) error {
	if e.orders == nil {
		return ErrNoOrders
	}
	t := time.NewTicker(e.opt.PollInterval)
	defer t.Stop()
	var checked time.Time
	for {
		if e.opt.LifecycleCheck > 0 && time.Since(checked) >= e.opt.LifecycleCheck {
			if _, err := e.ScheduleLifecycle(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("lifecycle schedule", slog.Any("err", err))
			} else {
				checked = time.Now()
			}
		}
		if _, err := e.runDue(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("production", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunDue claims the jobs due now and runs them, once; it returns how many
// it ran. Run calls it every poll interval; tests and commands call it
// directly.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	if e.orders == nil {
		return 0, ErrNoOrders
	}
	return e.runDue(ctx)
}

func (e *Engine) runDue(ctx context.Context) (int, error) {
	jobs, err := e.store.ClaimJobs(ctx, e.now(), e.opt.Batch, e.opt.Lease)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, j := range jobs {
		if ctx.Err() != nil {
			break // the rest is taken again when the lease ends
		}
		// A job started is finished even when ctx ends meanwhile: cutting
		// it short would only waste the LMS calls already made.
		if err := e.runJob(context.WithoutCancel(ctx), j); err != nil {
			errs = append(errs, fmt.Errorf("job %d (%s): %w", j.ID, j.Key, err))
		}
		n++
	}
	return n, errors.Join(errs...)
}

// errCrashed is how runJob reports a crash injected by a test.
var errCrashed = errors.New("production: crash injected")

// runJob runs one claimed job and settles it.
func (e *Engine) runJob(ctx context.Context, j *store.Job) error {
	if j.Kind == KindLifecycle {
		return e.runLifecycleJob(ctx, j) // about no order: settled apart
	}
	var err error
	switch j.Kind {
	case KindPrepay:
		err = e.runPrepay(ctx, j)
	case KindLine:
		err = e.runLine(ctx, j)
	default:
		err = permanent(fmt.Errorf("unknown job kind %q", j.Kind))
	}
	if err == nil || errors.Is(err, errCrashed) {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) && e.lostClaim(ctx, j) {
		return nil // another worker holds it now: its result counts
	}
	return e.fail(ctx, j, err)
}

// lostClaim reports whether j is no longer held under this worker's claim.
func (e *Engine) lostClaim(ctx context.Context, j *store.Job) bool {
	cur, err := e.store.JobByID(ctx, j.ID)
	return err == nil && (cur.Status != store.JobRunning || !cur.ClaimedUntil.Equal(j.ClaimedUntil))
}

// backoff is the wait before attempt n+1 after n failed ones.
func (e *Engine) backoff(attempts int) time.Duration {
	d := e.opt.Backoff
	for i := 1; i < attempts && d < e.opt.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, e.opt.MaxBackoff)
}

// fail settles a failed attempt: again later, or failed for good (the
// job's lines failed, the order FAILED), with its timeline entry.
func (e *Engine) fail(ctx context.Context, j *store.Job, cause error) error {
	now := e.now()
	final := isPermanent(cause) || j.Attempts >= j.MaxAttempts
	retryAt := now.Add(e.backoff(j.Attempts))
	msg := cause.Error()
	return e.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockOrder(ctx, j.OrderID); err != nil {
			return err
		}
		if err := tx.MarkJobFailed(ctx, j, msg, retryAt, final); err != nil {
			return err
		}
		lines, err := e.linesOf(j)
		if err != nil {
			return err
		}
		data := map[string]string{"job": strconv.FormatInt(j.ID, 10), "phase": j.Kind, "attempt": strconv.Itoa(j.Attempts),
			"error": msg}
		var text string
		if final {
			data["outcome"] = "failed"
			text = fmt.Sprintf("%s: attempt %d failed for good: %s", describe(j), j.Attempts, msg)
			for _, id := range lines {
				if err := tx.SetLineProduction(ctx, id, order.ProductionFailed, msg); err != nil {
					return err
				}
			}
		} else {
			data["outcome"] = "retry"
			data["retry_at"] = retryAt.Format(time.RFC3339)
			text = fmt.Sprintf("%s: attempt %d failed, next at %s: %s", describe(j), j.Attempts, retryAt.Format(time.RFC3339), msg)
			for _, id := range lines {
				if err := tx.SetLineProduction(ctx, id, order.ProductionRunning, msg); err != nil {
					return err
				}
			}
		}
		if err := tx.AddOrderEvent(ctx, &order.Event{OrderID: j.OrderID, At: now, Actor: Actor, Kind: order.EventProduction,
			Message: text, Data: data}); err != nil {
			return err
		}
		if !final {
			return nil
		}
		o, err := tx.OrderByID(ctx, j.OrderID)
		if err != nil {
			return err
		}
		if o.Status != order.StatusSoldout {
			return nil // PREPROD stays so; FAILED already
		}
		_, err = e.orders.TransitionTx(ctx, tx, o.ID, order.StatusFailed, order.Cause{Actor: Actor, Reason: "production failed: " + msg})
		return err
	})
}

// linesOf returns the lines a job produces: its own, or, for the first
// phase, every line (a buyer without account produces nothing).
func (e *Engine) linesOf(j *store.Job) ([]int64, error) {
	if j.LineID != 0 {
		return []int64{j.LineID}, nil
	}
	var p orderPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return nil, fmt.Errorf("production: job %d payload: %w", j.ID, err)
	}
	var ids []int64
	for _, l := range p.Lines {
		ids = append(ids, l.LineID)
	}
	return ids, nil
}

func describe(j *store.Job) string {
	if j.Kind == KindPrepay {
		return "buyer account"
	}
	var p linePayload
	if json.Unmarshal(j.Payload, &p) == nil {
		return fmt.Sprintf("line %d (%s)", p.Position, p.Code)
	}
	return j.Key
}

// complete moves o to COMPLETE within tx when it is SOLDOUT and every line
// is produced.
func (e *Engine) complete(ctx context.Context, tx *store.Store, orderID int64) error {
	o, err := tx.OrderByID(ctx, orderID)
	if err != nil {
		return err
	}
	if o.Status != order.StatusSoldout || !o.Produced() {
		return nil
	}
	_, err = e.orders.TransitionTx(ctx, tx, orderID, order.StatusComplete, order.Cause{Actor: Actor, Reason: "every line produced"})
	return err
}

// RetryOrder produces a FAILED order again, by actor: the order goes back
// to SOLDOUT through the state machine, whose "queue_production" effect
// queues the failed jobs again (Enqueue). What was produced stays.
func (e *Engine) RetryOrder(ctx context.Context, orderID int64, actor string) (*order.Order, error) {
	if e.orders == nil {
		return nil, ErrNoOrders
	}
	if actor == "" {
		actor = Actor
	}
	return e.orders.Transition(ctx, orderID, order.StatusSoldout, order.Cause{Actor: actor, Reason: "production retried"})
}

// progress is what a job remembers across crashes (store.SetJobProgress).
type progress map[string]string

func readProgress(j *store.Job) progress {
	p := progress{}
	if j == nil {
		return p // outside a job (seat assignment): nothing remembered
	}
	_ = json.Unmarshal(j.Progress, &p) // an unreadable progress is an empty one
	return p
}

func (e *Engine) saveProgress(ctx context.Context, j *store.Job, p progress) error {
	if j == nil {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return e.store.SetJobProgress(ctx, j, b)
}

// pendingMail is a mail rendered when its job commits.
type pendingMail struct {
	kind, locale, to string
	data             any
	shopID           int64
	orderID          int64
}

func (e *Engine) queueMails(ctx context.Context, tx *store.Store, ms []pendingMail) error {
	for _, m := range ms {
		if _, err := e.outbox.Queue(ctx, tx, m.kind, m.locale, m.to, m.data,
			mail.Ref{Type: "order", ID: strconv.FormatInt(m.orderID, 10)}, m.shopID); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) shopName(ctx context.Context, shopID int64) (string, error) {
	shops, err := e.store.Shops(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range shops {
		if s.ID == shopID {
			return s.Name, nil
		}
	}
	return "", fmt.Errorf("%w: shop %d", store.ErrNotFound, shopID)
}

// lmsOf returns the connector of the shop shopID.
func (e *Engine) lmsOf(ctx context.Context, shopID int64) (lms.Connector, error) {
	sh, err := e.store.ShopByID(ctx, shopID)
	if err != nil {
		return nil, err
	}
	return e.lms.For(sh.Site())
}

// siteOf returns the platform of shop shopID (lms.ShopSite.Key), under
// which the accounts the shop creates there are recorded.
func (e *Engine) siteOf(ctx context.Context, shopID int64) (string, error) {
	sh, err := e.store.ShopByID(ctx, shopID)
	if err != nil {
		return "", err
	}
	return sh.Site().Key(), nil
}

// lmsOfCustomer returns the shop of the customer customerID, whose
// products live in that shop's LMS, and its connector.
func (e *Engine) lmsOfCustomer(ctx context.Context, customerID int64) (lms.Connector, int64, error) {
	c, err := e.store.CustomerByID(ctx, customerID)
	if err != nil {
		return nil, 0, err
	}
	conn, err := e.lmsOf(ctx, c.ShopID)
	return conn, c.ShopID, err
}

// passwordURL asks conn where u sets a password, made absolute with
// Options.LMSURL when the connector answers a path.
func (e *Engine) passwordURL(ctx context.Context, conn lms.Connector, ref string) (string, error) {
	u, err := conn.PasswordSetURL(ctx, ref)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(u, "/") && e.opt.LMSURL != "" {
		u = strings.TrimSuffix(e.opt.LMSURL, "/") + u
	}
	return u, nil
}

func (e *Engine) accountCreatedMail(ctx context.Context, conn lms.Connector, o *order.Order, u *lms.User) (pendingMail, error) {
	name, err := e.shopName(ctx, o.ShopID)
	if err != nil {
		return pendingMail{}, err
	}
	link, err := e.passwordURL(ctx, conn, u.Ref)
	if err != nil {
		return pendingMail{}, err
	}
	return pendingMail{kind: mail.KindAccountCreated, locale: o.Locale, to: u.Email, shopID: o.ShopID, orderID: o.ID,
		data: mail.AccountCreated{ShopName: name, Username: u.Username, PasswordURL: link, OrderNumber: o.Number}}, nil
}
