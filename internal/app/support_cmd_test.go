package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"courseshop/internal/store"
)

// TestSupportListCommand: the sales team lists a shop's support messages,
// newest first, since a date, one readable line each.
func TestSupportListCommand(t *testing.T) {
	ctx := context.Background()
	f := newCmdShop(t)
	long := "Hello,\nwe need " + strings.Repeat("more seats ", 20) + "please."
	for _, m := range []*store.SupportMessage{
		{ShopID: f.shopID, CustomerID: f.ann.ID, About: f.annRef, Body: long},
		{ShopID: f.shopID, CustomerID: f.bob.ID, Body: "Où est ma facture ?"},
	} {
		if err := f.st.AddSupportMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, err := f.run("support", "list", "--shop", "demo")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	today := time.Now().UTC().Format("2006-01-02")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SENT (UTC)") ||
		!strings.HasPrefix(lines[1], today) || !strings.Contains(lines[1], "Bob Lee (Bob SARL)") || !strings.Contains(lines[1], "bob@example.com") || !strings.Contains(lines[1], "Où est ma facture ?") ||
		!strings.Contains(lines[2], "Ann Lee (Ann SARL)") || !strings.Contains(lines[2], f.annRef) || !strings.Contains(lines[2], "Hello, we need more seats") ||
		!strings.HasSuffix(lines[2], "…") || strings.Contains(lines[2], "please") {
		t.Errorf("list:\n%s", out)
	}
	// Bob's row has "-" for what the message is about, in its column.
	if col := strings.Index(lines[0], "ABOUT"); col < 0 || !strings.HasPrefix(lines[1][col:], "- ") {
		t.Errorf("about column:\n%s", out)
	}

	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if out, _, err = f.run("support", "list", "--shop", "demo", "--since", tomorrow); err != nil || out != "no message\n" {
		t.Errorf("since tomorrow: %v %q", err, out)
	}
	if out, _, err = f.run("support", "list", "--shop", "demo", "--since", today); err != nil || strings.Count(out, "\n") != 3 {
		t.Errorf("since today: %v\n%s", err, out)
	}
	if out, _, err = f.run("support", "list", "--shop", "suisse"); err != nil || out != "no message\n" {
		t.Errorf("another shop: %v %q", err, out)
	}
	for _, c := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"list"}, "--shop SHOP is required", true},
		{[]string{"list", "--shop", "demo", "--since", "yesterday"}, `--since "yesterday": want a date`, true},
		{[]string{"list", "--shop", "nope"}, `no shop "nope"`, false},
		{[]string{"list", "--shop", "demo", "extra"}, `unexpected argument "extra"`, true},
		{[]string{"send"}, "unknown subcommand", true},
	} {
		_, _, err := f.run(append([]string{"support"}, c.args...)...)
		_, usage := errors.AsType[*UsageError](err)
		if err == nil || !strings.Contains(err.Error(), c.want) || usage != c.usage {
			t.Errorf("support %q: %v (usage error %v), want %q", c.args, err, usage, c.want)
		}
	}
}
