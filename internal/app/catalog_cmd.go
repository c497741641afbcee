package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"courseshop/internal/catalogfile"
	"courseshop/internal/config"
	"courseshop/internal/lms"
	"courseshop/internal/lms/local"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

const catalogUsage = `usage:
  courseshop catalog export --out DIR [flags]   write the catalogue to DIR/catalog.json and DIR/media/
  courseshop catalog import [flags] FILE        load a catalogue file (docs/catalog-format.md)
  courseshop catalog check [flags]              look up in the LMS (Moodle when --moodle-url is set, else
                                                the built-in one) what each product's handler names;
                                                exits with 1 when anything is missing
  courseshop catalog check --shop CODE [flags]  the same for the products of one shop, on the shop's
                                                own platform, with its token

`

// runCatalog runs `courseshop catalog export|import|check`.
func runCatalog(ctx context.Context, args []string, env Env, cfgEnv config.Env) error {
	if len(args) == 0 {
		return &UsageError{errors.New("catalog: want export, import or check (see courseshop catalog -h)")}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "export", "import", "check":
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, catalogUsage)
		_, _, _ = config.Load("catalog", []string{"-h"}, cfgEnv, env.Stdout)
		return nil
	default:
		return &UsageError{fmt.Errorf("catalog: unknown subcommand %q (want export, import or check)", sub)}
	}

	// --out belongs to export only and --shop to check; config knows the
	// options every command shares, so they are taken out before config
	// parses the rest.
	var out, shopCode string
	var err error
	switch sub {
	case "export":
		if out, rest, err = cutFlag(rest, "out"); err != nil {
			return &UsageError{fmt.Errorf("catalog export: %w", err)}
		}
	case "check":
		if shopCode, rest, err = cutFlag(rest, "shop"); err != nil {
			return &UsageError{fmt.Errorf("catalog check: %w", err)}
		}
	}
	cfg, pos, err := config.Load("catalog", rest, cfgEnv, env.Stdout)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(env.Stdout, "\n"+catalogUsage)
		return nil
	}
	if err != nil {
		return &UsageError{fmt.Errorf("catalog %s: %w", sub, err)}
	}
	switch {
	case sub == "export" && out == "":
		return &UsageError{errors.New("catalog export: --out DIR is required")}
	case sub == "export" && len(pos) > 0:
		return &UsageError{fmt.Errorf("catalog export: unexpected argument %q", pos[0])}
	case sub == "import" && len(pos) != 1:
		return &UsageError{fmt.Errorf("catalog import: want one FILE, got %d arguments", len(pos))}
	case sub == "check" && len(pos) > 0:
		return &UsageError{fmt.Errorf("catalog check: unexpected argument %q", pos[0])}
	}
	log := newLogger(cfg, env.Stderr)

	if sub == "check" {
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		if shopCode != "" {
			return shopCatalogCheck(ctx, env.Stdout, st, lmsDirectory(cfg, cfgEnv, local.New(st)), shopCode)
		}
		var conn lms.Connector = local.New(st)
		name := "the built-in LMS"
		if cfg.MoodleURL != nil {
			conn, name = moodleClient(cfg, lms.Access{URL: cfg.MoodleURL, Token: cfg.MoodleToken}), "Moodle at "+cfg.MoodleURL.String()
		}
		return catalogCheck(ctx, env.Stdout, st, conn, name, 0)
	}

	if sub == "export" {
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := catalogfile.Export(ctx, st, out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "catalogue written to %s\n", filepath.Join(out, catalogfile.FileName))
		return nil
	}

	file := pos[0]
	// Checked before the database is opened (and perhaps created).
	if info, err := os.Stat(file); err != nil {
		return fmt.Errorf("catalog import: %w", err)
	} else if info.IsDir() {
		return fmt.Errorf("catalog import: %s is a directory; give the catalogue file", file)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The products' handlers and parameters are checked as production will
	// read them: a product that could never be produced is not sold.
	rep, err := catalogfile.Import(ctx, st, os.DirFS(filepath.Dir(file)), filepath.Base(file),
		catalogfile.WithHandlers(production.NewRegistry()))
	if verr, ok := errors.AsType[*catalogfile.ValidationError](err); ok {
		verr.File = file // as the user wrote it
		for _, line := range verr.Lines() {
			fmt.Fprintln(env.Stderr, line)
		}
		return fmt.Errorf("catalog import: %d problem(s) in %s; nothing was imported", len(verr.Problems), file)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, rep)
	return nil
}

// shopCatalogCheck runs catalogCheck on the catalogue of the shop code,
// against the shop's own platform.
func shopCatalogCheck(ctx context.Context, out io.Writer, st *store.Store, sites *lms.Directory, code string) error {
	sh, err := shopByCode(ctx, st, code)
	if err != nil {
		return fmt.Errorf("catalog check: %w", err)
	}
	conn, err := sites.For(sh.Site())
	if err != nil {
		return fmt.Errorf("catalog check: shop %s: %w", code, err)
	}
	name := "the built-in LMS"
	if c, ok := conn.(*moodle.Client); ok {
		name = "Moodle at " + c.URL()
	}
	return catalogCheck(ctx, out, st, conn, name+" (shop "+sh.Code+")", sh.CatalogID)
}

// catalogCheck runs the check of every product's handler against conn
// and prints one line per finding; it fails when anything is wrong. Only
// the catalogue catalogID is checked, unless it is 0.
func catalogCheck(ctx context.Context, out io.Writer, st *store.Store, conn lms.Connector, lmsName string, catalogID int64) error {
	cats, err := st.Catalogs(ctx)
	if err != nil {
		return err
	}
	reg := production.NewRegistry()
	fmt.Fprintf(out, "Products checked against %s:\n", lmsName)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	checked, problems := 0, 0
	for _, cat := range cats {
		if catalogID != 0 && cat.ID != catalogID {
			continue
		}
		ps, err := st.Products(ctx, cat.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Handler == "" {
				continue // nothing to produce
			}
			checked++
			fs, err := reg.Check(ctx, conn, p.Handler, p.HandlerParams)
			switch {
			case err != nil:
				fs = []production.Finding{{What: "parameters", Problem: err.Error()}}
			case len(fs) == 0:
				fs = []production.Finding{{What: "nothing to look up in the LMS"}}
			}
			for _, f := range fs {
				status, text := "ok", f.What
				if f.Problem != "" {
					status, text = "PROBLEM", f.What+": "+f.Problem
					problems++
				}
				fmt.Fprintf(tw, "  %s\t%s/%s\t%s\t%s\n", status, cat.Code, p.Code, p.Handler, text)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if problems > 0 {
		return fmt.Errorf("catalog check: %d problem(s) in the %d product(s) checked", problems, checked)
	}
	fmt.Fprintf(out, "%d product(s) checked, no problem\n", checked)
	return nil
}

// cutFlag removes --name VALUE or --name=VALUE (one or two dashes) from
// args, up to a "--", and returns the value.
func cutFlag(args []string, name string) (string, []string, error) {
	var value string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		flag := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		switch {
		case a != flag && flag == name:
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("flag needs an argument: --%s", name)
			}
			value = args[i+1]
			i++
		case a != flag && strings.HasPrefix(flag, name+"="):
			value = strings.TrimPrefix(flag, name+"=")
		default:
			rest = append(rest, a)
		}
	}
	return value, rest, nil
}
