package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"courseshop/internal/config"
	"courseshop/internal/demo"
	"courseshop/internal/i18n"
	"courseshop/internal/lms/local"
	"courseshop/internal/mail"
	"courseshop/internal/metrics"
	"courseshop/internal/order/orders"
	"courseshop/internal/password"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/shop"
	"courseshop/internal/web"
	"courseshop/internal/web/view"
)

// sweepEvery is how often expired sessions, carts and stock holds are
// cleaned up.
const sweepEvery = 10 * time.Minute

// gcPercent is the garbage collector's target when GOGC is not set. The
// shop's live heap is small (tens of MB), and at Go's default of 100 the
// collector took a tenth of the CPU of the checkout load; 400 lets the heap
// grow to five times the live data between collections instead of two
// (docs/performance.md).
const gcPercent = 400

func serve(ctx context.Context, cfg config.Config, env Env, cfgEnv config.Env, log *slog.Logger) error {
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// Parse templates and translations before touching the database: a
	// broken build fails at once.
	catalog, err := i18n.New()
	if err != nil {
		return err
	}
	views, err := view.New()
	if err != nil {
		return err
	}
	mails, err := mail.New()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close() // on early returns; Shutdown closes it otherwise
	addr := ln.Addr().String()
	baseURL := cfg.BaseURL
	if baseURL == nil {
		baseURL = localURL(addr)
	}
	// Without an SMTP server (the demo), mails stay in the outbox, marked
	// captured, where the back office shows them.
	captured := cfg.SMTP == nil
	modes := payment.NewRegistry(payment.Builtin()...)
	outbox := mail.NewOutbox(mails, captured)
	// The learning platforms: each shop's Moodle site, or the built-in LMS
	// in the shop's own database.
	sites := lmsDirectory(cfg, cfgEnv, local.New(st, local.WithBaseURL(strings.TrimSuffix(baseURL.String(), "/"))))
	// Paid orders are produced (enrolments, licence keys) by the engine,
	// from jobs written in the payment's transaction; it also runs the
	// daily lifecycle pass (instance states, renewal reminders, rule C8).
	engine := production.New(st, sites, outbox, production.Options{Logger: log, SeatReleaseGrace: cfg.SeatGrace, Lease: cfg.JobLease,
		ExpiringDays: cfg.ExpiringDays, ReminderDays: cfg.ReminderDays, AccountGrace: time.Duration(cfg.AccountGraceDays) * 24 * time.Hour,
		ShopURL: baseURL.String()})
	ords := orders.New(st, modes, orders.Options{DefaultHold: cfg.OrderHold, Production: engine})
	engine.UseOrders(ords)
	svc := shop.New(shop.Deps{Store: st, LMS: sites, Outbox: outbox, Payments: modes, Orders: ords, Production: engine, Log: log,
		BaseURL: baseURL, SalesEmail: cfg.SalesEmail})

	if cfg.Demo {
		loaded, err := demo.Load(ctx, st)
		if err != nil {
			return err
		}
		if loaded {
			log.Info("demo shop loaded")
		}
		if _, err := svc.EnsureAdmin(ctx, demo.AdminEmail, demo.AdminPassword, password.Default()); err != nil {
			return err
		}
	}
	if err := checkShopSites(ctx, st, sites, cfg, log); err != nil {
		return err
	}
	if cfg.AdminEmail != "" {
		created, err := svc.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword, password.Default())
		if err != nil {
			return err
		}
		if created {
			log.Info("administrator created", slog.String("email", cfg.AdminEmail))
		}
	}

	var m *metrics.Metrics
	if cfg.Metrics {
		m = metrics.New()
	}
	srv := web.New(web.Deps{Store: st, Shop: svc, I18n: catalog, Views: views, Metrics: m, Log: log, BaseURL: baseURL, MaxBodyBytes: cfg.MaxBodyBytes})
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("courseshop is listening", slog.String("addr", addr), slog.String("url", baseURL.String()),
		slog.String("engine", string(st.Engine())), slog.Bool("mail_captured", captured))
	if cfg.Demo {
		fmt.Fprintf(env.Stdout, "courseshop demo: open %s/shop/demo\nback-office administrator: %s / %s\nlearner (shop sign-in): %s / %s\ne-mails are captured in the outbox, not sent\n",
			baseURL, demo.AdminEmail, demo.AdminPassword, demo.LearnerEmail, demo.LearnerPassword)
	}

	// Background work runs until the HTTP server has drained, then stops
	// before the database closes: a mail being sent finishes, the others
	// wait in the outbox for the next start.
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := engine.Run(bg); err != nil {
			log.Error("production engine stopped", slog.Any("error", err))
		}
	})
	wg.Go(func() {
		sweep(bg, log, map[string]func(context.Context) (int64, error){
			"sessions": st.Sessions().DeleteExpired,
			"carts":    st.DeleteExpiredCarts,
			"order holds": func(ctx context.Context) (int64, error) {
				n, err := ords.ExpireHolds(ctx, time.Now())
				return int64(n), err
			},
		})
	})
	if !captured {
		sender, err := mail.NewSender(st, mail.SMTP{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
			Password: cfg.SMTP.Password, TLS: mail.TLSMode(cfg.SMTP.TLS), From: cfg.MailFrom}, mail.SenderOptions{Log: log})
		if err != nil {
			stopBG()
			wg.Wait()
			return err
		}
		wg.Go(func() { sender.Run(bg) })
	}
	stopBackground := func() {
		stopBG()
		wg.Wait()
	}

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	if env.Ready != nil {
		env.Ready(baseURL.String())
	}

	select {
	case err := <-served:
		stopBackground()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let in-flight requests finish
	// within the timeout, then stop background work before the database
	// closes.
	log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(sctx)
	stopBackground()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: requests still running after %s", cfg.ShutdownTimeout)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// localURL is the shop's URL when no public one is configured: the
// listening address, with a wildcard host shown as localhost.
func localURL(addr string) *url.URL {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
}

// sweep runs the periodic clean-ups (expired sessions, carts, unpaid
// orders' stock holds) until ctx ends. Every node may run them: each is
// idempotent and safe against the others.
func sweep(ctx context.Context, log *slog.Logger, jobs map[string]func(context.Context) (int64, error)) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for what, job := range jobs {
				if n, err := job(ctx); err != nil && ctx.Err() == nil {
					log.Warn("sweep failed", slog.String("what", what), slog.Any("error", err))
				} else if n > 0 {
					log.Info("expired items handled", slog.String("what", what), slog.Int64("count", n))
				}
			}
		}
	}
}
