// Command shopload puts load on a courseshop shop through its real HTTP
// interface, the way browsers do, and prints one JSON line of results.
//
//	go run ./cmd/shopload -target http://127.0.0.1:8080/shop/demo -scenario catalogue -c 64 -d 10s
//
// Each of the -c virtual users has its own cookie jar and keep-alive
// connection and runs the scenario in a loop: "catalogue" browses the shop
// by following random links (see scenario_catalogue.go), "page" reloads the
// target page, "checkout" buys one or two of the -products and pays with
// -mode, as fast as it can (see scenario_checkout.go). Requests made
// during -warmup are not recorded; the run then lasts -d, or until -n
// measured requests. The target must be this machine (a loopback address)
// unless -allow-remote is given.
//
// Output, on stdout:
//
//	{"scenario":"catalogue","target":"...","concurrency":64,"duration":"10s","requests":123456,"errors":0,
//	 "status":{"200":123456},"rps":"12345.6","orders":0,"orders_per_s":"0.0",
//	 "p50_ms":"1.23","p90_ms":"2.50","p99_ms":"9.80","max_ms":"40.10"}
//
// Errors are responses other than 2xx/3xx, requests without a response
// (counted under "error" in status), and the 2xx/3xx responses a scenario
// did not expect (a checkout step redirecting to the wrong page). Orders
// are the purchases whose order page answered 200 (0 for the scenarios that
// buy nothing). Latencies are from sending a request to reading its body,
// redirects included (the checkout scenario follows none: each of its
// requests is measured on its own), exact nearest-rank percentiles over
// every response.
//
// Exit status: 0 when the run completed (even with errors counted), 2 for
// bad flags or a refused target, 1 when the target does not answer the
// first request.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the command with args and returns its exit status. An
// interrupt (ctx cancelled) ends the run early and still prints its report.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shopload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.Target, "target", "", "home page of the shop to load, e.g. http://127.0.0.1:8080/shop/demo (required)")
	fs.StringVar(&cfg.Scenario, "scenario", "catalogue", "scenario: "+strings.Join(scenarioNames(), ", "))
	fs.IntVar(&cfg.Concurrency, "c", 16, "virtual users (each with its own cookies and connection)")
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, "measured duration, after the warm-up")
	fs.Int64Var(&cfg.Requests, "n", 0, "stop after this many measured requests (0: no limit)")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "time during which requests are made but not recorded")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "limit of one request (counted as an error when exceeded)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the users' random walks (0: a new one each run)")
	products := fs.String("products", defaultProducts, "checkout: comma-separated product codes to buy, one or two per order")
	fs.StringVar(&cfg.Mode, "mode", defaultMode, "checkout: payment mode chosen at the review step")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shopload: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg.Products = splitList(*products)
	if len(cfg.Products) == 0 {
		fmt.Fprintln(stderr, "shopload: -products must list at least one product code")
		return 2
	}
	cfg.Mode = strings.TrimSpace(cfg.Mode)
	if cfg.Mode == "" {
		fmt.Fprintln(stderr, "shopload: -mode must not be empty")
		return 2
	}

	rep, err := Run(ctx, cfg)
	if rep == nil {
		fmt.Fprintln(stderr, "shopload:", err)
		if _, ok := errors.AsType[*UsageError](err); ok {
			return 2
		}
		return 1
	}
	if err != nil {
		// Some users' scenarios failed; the run itself completed.
		fmt.Fprintln(stderr, "shopload: warning:", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, "shopload:", err)
		return 1
	}
	return 0
}

// splitList returns the non-empty, trimmed items of a comma-separated list,
// without duplicates, in order.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}
