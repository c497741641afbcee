package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"courseshop/internal/catalog"
	"courseshop/internal/config"
	"courseshop/internal/store"
)

const supportUsage = `usage:
  courseshop support list --shop SHOP [--since DATE] [flags]

Lists the messages customers sent the sales team from the support area,
newest first: when, who (name and organisation), their e-mail, the order or
product the message is about, and the start of the message. --since keeps
the messages sent on or after DATE (2026-12-01, or 2026-12-01T14:00:00Z).
Each message was also mailed to the sales address when one was set.

`

// supportExcerpt is how much of a message the list shows, in characters.
const supportExcerpt = 60

// runSupport runs `courseshop support list`.
func runSupport(ctx context.Context, args []string, env Env, cfgEnv config.Env) error {
	if len(args) == 0 {
		return &UsageError{errors.New("support: want list (see courseshop support -h)")}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, supportUsage)
		_, _, _ = config.Load("support", []string{"-h"}, cfgEnv, env.Stdout)
		return nil
	default:
		return &UsageError{fmt.Errorf("support: unknown subcommand %q (want list)", sub)}
	}
	shopCode, rest, err := cutFlag(rest, "shop")
	if err != nil {
		return &UsageError{fmt.Errorf("support list: %w", err)}
	}
	sinceText, rest, err := cutFlag(rest, "since")
	if err != nil {
		return &UsageError{fmt.Errorf("support list: %w", err)}
	}
	cfg, pos, err := config.Load("support", rest, cfgEnv, env.Stdout)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(env.Stdout, "\n"+supportUsage)
		return nil
	}
	switch {
	case err != nil:
		return &UsageError{fmt.Errorf("support list: %w", err)}
	case shopCode == "":
		return &UsageError{errors.New("support list: --shop SHOP is required")}
	case len(pos) > 0:
		return &UsageError{fmt.Errorf("support list: unexpected argument %q", pos[0])}
	}
	var since time.Time
	if sinceText != "" {
		if since, err = parseSince(sinceText); err != nil {
			return &UsageError{fmt.Errorf("support list: %w", err)}
		}
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	sh, err := shopByCode(ctx, st, shopCode)
	if err != nil {
		return fmt.Errorf("support list: %w", err)
	}
	if err := listSupportMessages(ctx, env.Stdout, st, sh, since); err != nil {
		return fmt.Errorf("support list: %w", err)
	}
	return nil
}

// parseSince reads a date (midnight UTC) or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date (2026-12-01) or a time (2026-12-01T14:00:00Z)", s)
}

// listSupportMessages prints the shop's messages since since as a table.
func listSupportMessages(ctx context.Context, out io.Writer, st *store.Store, sh *catalog.Shop, since time.Time) error {
	ms, err := st.SupportMessagesOfShop(ctx, sh.ID, since)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		fmt.Fprintln(out, "no message")
		return nil
	}
	names := customerNames{st: st}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SENT (UTC)\tCUSTOMER\tE-MAIL\tABOUT\tMESSAGE")
	for _, m := range ms {
		c, err := names.of(ctx, m.CustomerID)
		if err != nil {
			return err
		}
		who := strings.TrimSpace(c.FirstName + " " + c.LastName)
		if c.Organisation != "" {
			who += " (" + c.Organisation + ")"
		}
		if c.Email == "" { // erased: every customer has an address otherwise
			who = "(erased)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.CreatedAt.UTC().Format("2006-01-02 15:04"), cell(who), cell(c.Email), cell(m.About),
			cell(excerpt(m.Body, supportExcerpt)))
	}
	return tw.Flush()
}

// excerpt is the start of s, at most n characters with "…" when cut, its
// whitespace collapsed.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
