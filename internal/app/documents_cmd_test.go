package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"courseshop/internal/customer"
	"courseshop/internal/store"
)

// cmdShop is a database with the rich fixture's shops and two customers
// of shop demo, ann (with a product instance) and bob, for the sales
// team's commands.
type cmdShop struct {
	dsn      string
	st       *store.Store
	shopID   int64
	ann, bob *customer.Customer
	annRef   string // ann's product instance
	bobRef   string
}

func newCmdShop(t *testing.T) *cmdShop {
	t.Helper()
	ctx := context.Background()
	f := &cmdShop{dsn: "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	if _, _, err := f.run("catalog", "import", filepath.Join("..", "catalogfile", "testdata", "rich", "catalog.json")); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, f.dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	sh, err := st.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	f.shopID = sh.ID
	for _, c := range []**customer.Customer{&f.ann, &f.bob} {
		first := map[bool]string{true: "Ann", false: "Bob"}[c == &f.ann]
		*c = &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: strings.ToLower(first) + "@example.com", FirstName: first, LastName: "Lee",
			Organisation: first + " SARL", Country: "FR"}, Locale: "en"}
		if _, err := st.SaveLead(ctx, *c); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []struct {
		c   *customer.Customer
		ref *string
	}{{f.ann, &f.annRef}, {f.bob, &f.bobRef}} {
		in := &store.Instance{CustomerID: x.c.ID, UnitKey: "u", Handler: "enrol"}
		if err := st.CreateInstance(ctx, in, "system"); err != nil {
			t.Fatal(err)
		}
		*x.ref = in.Reference
	}
	return f
}

func (f *cmdShop) run(args ...string) (string, string, error) {
	env, out, errb := testEnv(args, map[string]string{"COURSESHOP_DB": f.dsn, "USER": "sam"})
	err := Run(context.Background(), env)
	return out.String(), errb.String(), err
}

// TestDocumentsCommand: the sales team attaches documents to a customer
// or one of its products, lists them and removes them; mistakes are
// refused with a message saying what is wrong and store nothing.
func TestDocumentsCommand(t *testing.T) {
	ctx := context.Background()
	f := newCmdShop(t)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "Contrat été.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.7 contract"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, err := f.run("documents", "attach", "--shop", "demo", "--customer", "ANN@example.com", "--product", strings.ToLower(f.annRef),
		"--title", "Signed contract", "--description", "Countersigned", pdf)
	if err != nil || !strings.Contains(out, "attached for ann@example.com: Contrat été.pdf (application/pdf, 17 bytes)") {
		t.Fatalf("attach: %v\n%s%s", err, out, errs)
	}
	noext := filepath.Join(dir, "notes")
	if err := os.WriteFile(noext, []byte("plain words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, err = f.run("documents", "attach", "--shop=demo", "--customer=ann@example.com", "--by", "Lou", noext); err != nil ||
		!strings.Contains(out, "notes (text/plain; charset=utf-8, 12 bytes)") {
		t.Errorf("attach a file without extension: %v\n%s", err, out)
	}

	ds, err := f.st.Documents(ctx, store.DocumentFilter{ShopID: f.shopID, CustomerID: f.ann.ID})
	if err != nil || len(ds) != 2 {
		t.Fatalf("ann's documents: %d, %v", len(ds), err)
	}
	got, err := f.st.CustomerDocument(ctx, f.ann.ID, ds[1].ID)
	if err != nil || string(got.Body) != "%PDF-1.7 contract" || got.InstanceRef != f.annRef || got.Title != "Signed contract" ||
		got.Description != "Countersigned" || got.CreatedBy != "sam" || ds[0].CreatedBy != "Lou" {
		t.Errorf("stored %+v, %v", got, err)
	}

	// Refusals.
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, store.MaxDocumentSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com", big}, "a document is at most 20 MiB", false},
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com", "--product", f.bobRef, pdf}, "ann@example.com has no product with the reference " + f.bobRef, false},
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com", "--product", "NOPE", pdf}, "has no product with the reference NOPE", false},
		{[]string{"attach", "--shop", "demo", "--customer", "zoe@example.com", pdf}, "shop demo has no customer with the e-mail zoe@example.com", false},
		{[]string{"attach", "--shop", "nope", "--customer", "ann@example.com", pdf}, `no shop "nope"`, false},
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com", "--type", "not a type", pdf}, `--type "not a type" is not a content type`, false},
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com", dir}, "is a directory", false},
		{[]string{"attach", "--shop", "demo", pdf}, "--customer EMAIL is required", true},
		{[]string{"attach", "--customer", "ann@example.com", pdf}, "--shop SHOP is required", true},
		{[]string{"attach", "--shop", "demo", "--customer", "ann@example.com"}, "want one FILE", true},
		{[]string{"remove", "--shop", "demo", "x"}, `"x" is not a document id`, true},
		{[]string{"remove", "--shop", "demo", "999"}, "shop demo has no document 999", false},
		{[]string{"frobnicate"}, "unknown subcommand", true},
	} {
		_, _, err := f.run(append([]string{"documents"}, c.args...)...)
		_, usage := errors.AsType[*UsageError](err)
		if err == nil || !strings.Contains(err.Error(), c.want) || usage != c.usage {
			t.Errorf("documents %q: %v (usage error %v), want %q", c.args, err, usage, c.want)
		}
	}
	if ds, _ := f.st.Documents(ctx, store.DocumentFilter{ShopID: f.shopID}); len(ds) != 2 {
		t.Errorf("%d documents after the refusals, want 2", len(ds))
	}

	// Lists: the shop's, one customer's.
	if _, _, err := f.run("documents", "attach", "--shop", "demo", "--customer", "bob@example.com", "--title", "Bob's\tquote", noext); err != nil {
		t.Fatal(err)
	}
	out, _, err = f.run("documents", "list", "--shop", "demo")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "bob@example.com") || !strings.Contains(lines[1], "Bob's quote") ||
		!strings.Contains(lines[3], f.annRef) || !strings.Contains(lines[3], "Contrat été.pdf") || !strings.Contains(lines[3], "Signed contract") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = f.run("documents", "list", "--shop", "demo", "--customer", "ann@example.com")
	if err != nil || strings.Count(strings.TrimSpace(out), "\n") != 2 || strings.Contains(out, "bob@") {
		t.Errorf("ann's list: %v\n%s", err, out)
	}
	if out, _, err = f.run("documents", "list", "--shop", "suisse"); err != nil || out != "no document\n" {
		t.Errorf("another shop's list: %v %q", err, out)
	}

	// Remove, within the shop only.
	id := strings.Fields(lines[3])[0]
	if _, _, err := f.run("documents", "remove", "--shop", "suisse", id); err == nil {
		t.Error("removed through another shop")
	}
	if out, _, err = f.run("documents", "remove", "--shop", "demo", id); err != nil || out != "document "+id+" removed\n" {
		t.Errorf("remove: %v %q", err, out)
	}
	if out, _, _ = f.run("documents", "list", "--shop", "demo"); strings.Contains(out, "Contrat") || !strings.Contains(out, "bob@") {
		t.Errorf("after removal:\n%s", out)
	}
	var help bytes.Buffer
	env, _, _ := testEnv([]string{"documents", "-h"}, nil)
	env.Stdout = &help
	if err := Run(ctx, env); err != nil || !strings.Contains(help.String(), "at most 20 MiB") || !strings.Contains(help.String(), "--db") {
		t.Errorf("help: %v\n%s", err, help.String())
	}
}
