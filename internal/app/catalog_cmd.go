package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"courseshop/internal/catalogfile"
	"courseshop/internal/config"
	"courseshop/internal/production"
)

const catalogUsage = `usage:
  courseshop catalog export --out DIR [flags]   write the catalogue to DIR/catalog.json and DIR/media/
  courseshop catalog import [flags] FILE        load a catalogue file (docs/catalog-format.md)

`

// runCatalog runs `courseshop catalog export|import`.
func runCatalog(ctx context.Context, args []string, env Env, cfgEnv config.Env) error {
	if len(args) == 0 {
		return &UsageError{errors.New("catalog: want export or import (see courseshop catalog -h)")}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "export", "import":
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, catalogUsage)
		_, _, _ = config.Load("catalog", []string{"-h"}, cfgEnv, env.Stdout)
		return nil
	default:
		return &UsageError{fmt.Errorf("catalog: unknown subcommand %q (want export or import)", sub)}
	}

	// --out belongs to export only; config knows the options every command
	// shares, so it is taken out before config parses the rest.
	var out string
	if sub == "export" {
		var err error
		if out, rest, err = cutFlag(rest, "out"); err != nil {
			return &UsageError{fmt.Errorf("catalog export: %w", err)}
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
	}
	log := newLogger(cfg, env.Stderr)

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
