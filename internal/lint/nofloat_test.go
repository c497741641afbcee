package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// floatIdents are the identifiers whose use the guard forbids. Binary
// floating point cannot represent most decimal amounts exactly, so a float
// anywhere near money eventually produces an off-by-a-cent total.
var floatIdents = []string{"float32", "float64"}

// floatExemptDirs are module-relative directories allowed to use floats:
// Prometheus' client API takes float64 for every metric value.
var floatExemptDirs = []string{"internal/metrics"}

// TestNoFloatsInProject is the project's guard that no float touches money.
// It parses every non-test Go file under internal/ and cmd/ (and, stricter,
// every file of this package including its tests) and reports each use of
// float32 or float64 with its position.
//
// Only identifiers are detected: an untyped constant such as 0.5 that
// defaults to float64 without being named is not caught here.
func TestNoFloatsInProject(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	self, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, top := range []string{"internal", "cmd"} {
		dir := filepath.Join(root, top)
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			continue
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				name := d.Name()
				// The go tool ignores "." and "_" directories as well.
				if name == "vendor" || name == "testdata" ||
					(path != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"))) ||
					slices.Contains(floatExemptDirs, rel) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") {
				return nil
			}
			if strings.HasSuffix(path, "_test.go") && filepath.Dir(path) != self {
				return nil
			}
			checked++
			for _, pos := range floatUses(t, fset, path) {
				rpos := pos
				rpos.Filename = rel
				t.Errorf("%s: float type used; amounts must stay in integer minor units (see internal/money)", rpos)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", dir, err)
		}
	}
	if checked == 0 {
		t.Fatalf("no Go files found under %s; is the module root right?", root)
	}
}

// floatUses returns the positions of float identifiers in the file at path.
func floatUses(t *testing.T, fset *token.FileSet, path string) []token.Position {
	t.Helper()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		// A file we cannot parse cannot be vouched for either.
		t.Errorf("parsing %s: %v", path, err)
		if f == nil {
			return nil
		}
	}
	var uses []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && slices.Contains(floatIdents, id.Name) {
			uses = append(uses, fset.Position(id.Pos()))
		}
		return true
	})
	return uses
}

// moduleRoot walks up from the test's working directory, which is the
// package directory, to the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}

// TestFloatUsesDetects makes sure the guard would actually fire.
func TestFloatUsesDetects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.go")
	src := "package bad\n\nvar ratio = float64(1)\n\nfunc f(x float32) {}\n\nvar ok = \"float64\" // strings are fine\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	uses := floatUses(t, token.NewFileSet(), path)
	var lines []int
	for _, u := range uses {
		lines = append(lines, u.Line)
	}
	if !slices.Equal(lines, []int{3, 5}) {
		t.Errorf("float uses on lines %v, want [3 5]", lines)
	}
}
