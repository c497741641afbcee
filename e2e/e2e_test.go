// Package e2e drives the real courseshop in headless Chromium, as a buyer
// would. The tests need Debian's chromium (/usr/bin/chromium, or the path in
// COURSESHOP_CHROMIUM); without it they are skipped, except in CI where they
// must run.
package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"courseshop/internal/app"
)

// startShop runs `courseshop serve --demo` in-process on a free port and a
// fresh SQLite file, and returns its base URL.
func startShop(t *testing.T) string {
	t.Helper()
	base, _ := startShopDB(t)
	return base
}

// startShopDB is startShop that also returns the database's DSN, for
// tests that read what the shop wrote (the mail outbox, the LMS).
func startShopDB(t *testing.T) (string, string) {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := app.Env{
		Args:   []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--db", dsn},
		Getenv: func(string) string { return "" },
		Stdout: io.Discard, Stderr: io.Discard,
		Ready: func(u string) { ready <- u },
	}
	go func() { done <- app.Run(ctx, env) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case u := <-ready:
		return u, dsn
	case err := <-done:
		t.Fatalf("shop did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("shop did not start in time")
	}
	return "", ""
}

// newBrowser starts headless Chromium for one test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("COURSESHOP_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not found at %s: CI must install it (apt-get install chromium)", path)
		}
		t.Skipf("browser tests skipped: no chromium at %s (apt-get install chromium, or set COURSESHOP_CHROMIUM)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// actions returns a test's two ways of driving the browser ctx: step runs
// actions and fails the test, named what, if they fail; text reads the
// whitespace-normalised text of the first element matching a selector.
func actions(t *testing.T, ctx context.Context) (step func(what string, actions ...chromedp.Action[chromedp.Void]), text func(sel string) string) {
	step = func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	return step, text
}
