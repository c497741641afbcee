package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"courseshop/internal/catalog"
	"courseshop/internal/config"
	"courseshop/internal/customer"
	"courseshop/internal/store"
)

const documentsUsage = `usage:
  courseshop documents attach --shop SHOP --customer EMAIL [--product REF] [--title TITLE]
                              [--description TEXT] [--type CONTENT-TYPE] [--by NAME] [flags] FILE
  courseshop documents list --shop SHOP [--customer EMAIL] [flags]
  courseshop documents remove --shop SHOP [flags] ID

Private documents are files the sales team attaches to a customer, or to one
of the customer's products (--product, its reference as the support area
shows it), that only the users of that customer (its owner and managers)
download from the support area. A document is at most 20 MiB. --type
defaults to the type of the file's extension, else to what its content
looks like; --by names who attached it (default: $USER).

`

// runDocuments runs `courseshop documents attach|list|remove`.
func runDocuments(ctx context.Context, args []string, env Env, cfgEnv config.Env) error {
	if len(args) == 0 {
		return &UsageError{errors.New("documents: want attach, list or remove (see courseshop documents -h)")}
	}
	sub, rest := args[0], args[1:]
	flags := map[string][]string{
		"attach": {"shop", "customer", "product", "title", "description", "type", "by"},
		"list":   {"shop", "customer"},
		"remove": {"shop"},
	}
	switch sub {
	case "attach", "list", "remove":
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, documentsUsage)
		_, _, _ = config.Load("documents", []string{"-h"}, cfgEnv, env.Stdout)
		return nil
	default:
		return &UsageError{fmt.Errorf("documents: unknown subcommand %q (want attach, list or remove)", sub)}
	}
	// The command's own flags are taken out before config parses the
	// options it shares with the other commands.
	opt := map[string]string{}
	for _, name := range flags[sub] {
		var err error
		if opt[name], rest, err = cutFlag(rest, name); err != nil {
			return &UsageError{fmt.Errorf("documents %s: %w", sub, err)}
		}
	}
	cfg, pos, err := config.Load("documents", rest, cfgEnv, env.Stdout)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(env.Stdout, "\n"+documentsUsage)
		return nil
	}
	switch {
	case err != nil:
		return &UsageError{fmt.Errorf("documents %s: %w", sub, err)}
	case opt["shop"] == "":
		return &UsageError{fmt.Errorf("documents %s: --shop SHOP is required", sub)}
	case sub == "attach" && opt["customer"] == "":
		return &UsageError{errors.New("documents attach: --customer EMAIL is required")}
	case sub == "attach" && len(pos) != 1, sub == "remove" && len(pos) != 1:
		return &UsageError{fmt.Errorf("documents %s: want one %s, got %d arguments", sub, map[string]string{"attach": "FILE", "remove": "ID"}[sub], len(pos))}
	case sub == "list" && len(pos) > 0:
		return &UsageError{fmt.Errorf("documents list: unexpected argument %q", pos[0])}
	}
	var doc *store.Document
	var id int64
	switch sub {
	case "attach":
		// Read before the database is opened (and perhaps created).
		if doc, err = readDocument(pos[0], opt["type"]); err != nil {
			return fmt.Errorf("documents attach: %w", err)
		}
		doc.Title, doc.Description, doc.CreatedBy = opt["title"], opt["description"], opt["by"]
		if doc.CreatedBy == "" {
			doc.CreatedBy = env.Getenv("USER")
		}
	case "remove":
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return &UsageError{fmt.Errorf("documents remove: %q is not a document id (see documents list)", pos[0])}
		}
	}

	st, err := openStore(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	sh, err := shopByCode(ctx, st, opt["shop"])
	if err != nil {
		return fmt.Errorf("documents %s: %w", sub, err)
	}
	switch sub {
	case "attach":
		err = attachDocument(ctx, env.Stdout, st, sh, opt["customer"], opt["product"], doc)
	case "list":
		err = listDocuments(ctx, env.Stdout, st, sh, opt["customer"])
	case "remove":
		if err = st.RemoveDocument(ctx, sh.ID, id); errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("shop %s has no document %d (see documents list)", sh.Code, id)
		}
		if err == nil {
			fmt.Fprintf(env.Stdout, "document %d removed\n", id)
		}
	}
	if err != nil {
		return fmt.Errorf("documents %s: %w", sub, err)
	}
	return nil
}

// readDocument reads file as a document of content type ct (default:
// guessed), refusing one larger than store.MaxDocumentSize before reading
// it.
func readDocument(file, ct string) (*store.Document, error) {
	info, err := os.Stat(file)
	switch {
	case err != nil:
		return nil, err
	case info.IsDir():
		return nil, fmt.Errorf("%s is a directory; give a file", file)
	case info.Size() > store.MaxDocumentSize:
		return nil, fmt.Errorf("%w: %s is %d bytes", store.ErrDocumentTooLarge, file, info.Size())
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if ct == "" {
		ct = mime.TypeByExtension(strings.ToLower(filepath.Ext(file)))
	}
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("--type %q is not a content type (e.g. application/pdf)", ct)
	}
	return &store.Document{FileName: filepath.Base(file), ContentType: mime.FormatMediaType(mt, params), Body: body}, nil
}

// shopByCode returns the shop with that code, saying so when there is none.
func shopByCode(ctx context.Context, st *store.Store, code string) (*catalog.Shop, error) {
	sh, err := st.ShopByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no shop %q in the database (--db)", code)
	}
	return sh, err
}

// customerByEmail returns the shop's customer with that e-mail, saying so
// when there is none.
func customerByEmail(ctx context.Context, st *store.Store, sh *catalog.Shop, email string) (*customer.Customer, error) {
	c, err := st.CustomerByEmail(ctx, sh.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("shop %s has no customer with the e-mail %s", sh.Code, email)
	}
	return c, err
}

// attachDocument stores d for the shop's customer with that e-mail, about
// their product instance ref if given.
func attachDocument(ctx context.Context, out io.Writer, st *store.Store, sh *catalog.Shop, email, ref string, d *store.Document) error {
	c, err := customerByEmail(ctx, st, sh, email)
	if err != nil {
		return err
	}
	d.ShopID, d.CustomerID = sh.ID, c.ID
	if ref != "" {
		in, err := st.InstanceByReference(ctx, ref)
		if errors.Is(err, store.ErrNotFound) || err == nil && in.CustomerID != c.ID {
			return fmt.Errorf("%s has no product with the reference %s", email, ref)
		}
		if err != nil {
			return err
		}
		d.InstanceID = in.ID
	}
	if err := st.AttachDocument(ctx, d); err != nil {
		return err
	}
	fmt.Fprintf(out, "document %d attached for %s: %s (%s, %d bytes)\n", d.ID, c.Email, d.FileName, d.ContentType, d.Size)
	return nil
}

// listDocuments prints the shop's documents (of one customer, when email
// is given), newest first.
func listDocuments(ctx context.Context, out io.Writer, st *store.Store, sh *catalog.Shop, email string) error {
	f := store.DocumentFilter{ShopID: sh.ID}
	if email != "" {
		c, err := customerByEmail(ctx, st, sh, email)
		if err != nil {
			return err
		}
		f.CustomerID = c.ID
	}
	ds, err := st.Documents(ctx, f)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		fmt.Fprintln(out, "no document")
		return nil
	}
	names := customerNames{st: st}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tATTACHED\tCUSTOMER\tPRODUCT\tFILE\tBYTES\tTITLE\tBY")
	for _, d := range ds {
		c, err := names.of(ctx, d.CustomerID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.CreatedAt.Format("2006-01-02 15:04"), cell(c.Email), cell(d.InstanceRef),
			cell(d.FileName), d.Size, cell(d.Title), cell(d.CreatedBy))
	}
	return tw.Flush()
}

// customerNames reads customers once each, for lists naming them.
type customerNames struct {
	st   *store.Store
	seen map[int64]*customer.Customer
}

func (n *customerNames) of(ctx context.Context, id int64) (*customer.Customer, error) {
	if c, ok := n.seen[id]; ok {
		return c, nil
	}
	c, err := n.st.CustomerByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if n.seen == nil {
		n.seen = map[int64]*customer.Customer{}
	}
	n.seen[id] = c
	return c, nil
}

// cell makes s fit one cell of a table: its whitespace (newlines, tabs)
// collapsed, "-" when empty.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}
