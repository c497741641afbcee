package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles courseshop once for the tests that run it as a
// process: exit codes and signals can only be observed that way.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "courseshop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBadConfigurationExits checks that every bad start-up ends the process
// with a non-zero code and one line saying what is wrong.
func TestBadConfigurationExits(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"no command", nil, nil, 2, "no command given"},
		{"unknown command", []string{"frobnicate"}, nil, 2, `unknown command "frobnicate"`},
		{"bad flag", []string{"serve", "--colour"}, nil, 2, "flag provided but not defined: -colour"},
		{"bad env", []string{"serve"}, []string{"COURSESHOP_ADDR=8080"}, 2, `invalid COURSESHOP_ADDR "8080"`},
		{"unknown DSN scheme", []string{"serve", "--db", "mysql://root@localhost/shop"}, nil, 1, `unknown database scheme "mysql"`},
		{"unreachable PostgreSQL", []string{"migrate", "--db", "postgres://postgres@127.0.0.1:1/shop?connect_timeout=2"}, nil, 1, "postgres: cannot reach 127.0.0.1:1/shop"},
		{"missing SQLite directory", []string{"serve", "--db", "sqlite:" + filepath.Join(dir, "nope", "shop.db")}, nil, 1, "does not exist"},
		{"unwritable SQLite path", []string{"migrate", "--db", "sqlite:" + filepath.Join(notDir, "shop.db")}, nil, 1, "is not a directory"},
		{"address in use", []string{"serve", "--db", "sqlite:" + filepath.Join(dir, "ok.db"), "--addr", busy.Addr().String()}, nil, 1, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Env = append(os.Environ(), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != tc.code {
				t.Fatalf("exit = %v, want code %d; stderr: %s", err, tc.code, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "courseshop: ") || !strings.Contains(last, tc.want) {
				t.Errorf("last line = %q, want it to contain %q", last, tc.want)
			}
			if tc.code == 2 && len(lines) != 1 || tc.code == 1 && strings.Contains(stderr.String(), "level=ERROR") {
				t.Errorf("want one clear line, got:\n%s", stderr.String())
			}
		})
	}
}

// TestSIGTERMStopsGracefully runs the demo as a real process and stops it
// the way a service manager does.
func TestSIGTERMStopsGracefully(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "shop.db"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`open (http://\S+)/shop/demo`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlCh <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-urlCh:
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatalf("no banner; stderr:\n%s", stderr.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", stderr.String())
	}
}
