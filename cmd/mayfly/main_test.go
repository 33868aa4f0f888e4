package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mayfly-perf/mayfly/internal/target"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mayfly": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI scripts of testdata/script. The command
// "serve" starts the demo service on a free loopback port and sets $TARGET.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"serve": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Setenv("TARGET", serve(ts, target.Options{}))
			},
		},
	})
}

func serve(c interface {
	Fatalf(string, ...any)
	Defer(func())
}, opts target.Options) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: target.NewServer(opts)}
	go srv.Serve(l)
	c.Defer(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// tb adapts testing.T to serve.
type tb struct{ *testing.T }

func (t tb) Defer(f func()) { t.Cleanup(f) }

// TestExitCodes runs the CLI in-process and checks each typed exit code.
func TestExitCodes(t *testing.T) {
	url := serve(tb{t}, target.Options{})
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "TARGET", url)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		args   []string
		cancel time.Duration // interrupt the run after this long
		code   int
		stderr string
	}{
		{"pass", []string{"run", "--url", url + "/ok", "--rate", "50", "--duration", "1s"}, 0, exitOK, ""},
		{"closed pass", []string{"run", "--url", url + "/ok", "--vus", "3", "--duration", "500ms"}, 0, exitOK, ""},
		{"usage", []string{"run"}, 0, exitUsage, "give a plan file"},
		{"unknown flag", []string{"run", "--nope"}, 0, exitUsage, "unknown flag"},
		{"not loopback", []string{"run", "--url", "http://192.0.2.1/", "--rate", "1"}, 0, exitUsage, "loopback"},
		{"bad plan", []string{"run", write("bad.yaml", "name: x\nscenarios:\n  s:\n    executor: constant-arival-rate\n")}, 0, exitBadPlan, "bad.yaml:4:15"},
		{"slo failed", []string{"run", write("slo.yaml", `
target: TARGET
scenarios:
  s: {executor: shared-iterations, vus: 2, iterations: 20, request: GET /status/500}
slo: ["errors < 1%"]
`)}, 0, exitSLOFailed, ""},
		{"aborted by slo", []string{"run", write("abort.yaml", `
target: TARGET
scenarios:
  s: {executor: constant-vus, vus: 2, duration: 20s, think: 10ms, request: GET /status/500}
slo: [{expr: "errors < 1%", abort: true}]
`)}, 0, exitAbortedBySLO, ""},
		{"generator-bound", []string{"run", write("gen.yaml", `
target: TARGET
scenarios:
  s: {executor: constant-arrival-rate, rate: 100, duration: 1s, max_vus: 1, request: "GET /slow?ms=50"}
`)}, 0, exitGeneratorBound, ""},
		{"interrupted", []string{"run", "--url", url + "/ok", "--rate", "10", "--duration", "1m"}, 700 * time.Millisecond, exitInterrupted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.cancel > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.cancel)
				defer cancel()
			}
			var stdout, stderr bytes.Buffer
			args := append(tt.args, "--out", t.TempDir())
			if tt.name == "usage" || tt.name == "unknown flag" {
				args = tt.args
			}
			start := time.Now()
			code := run(ctx, args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderr)
			}
			if tt.name == "aborted by slo" && time.Since(start) > 10*time.Second {
				t.Errorf("abort took %v of a 20s run", time.Since(start))
			}
		})
	}
}

// TestExamplesAreValid keeps the shipped example plans (and the README,
// which shows them) true.
func TestExamplesAreValid(t *testing.T) {
	plans, err := filepath.Glob("../../examples/*/*.yaml")
	if err != nil || len(plans) == 0 {
		t.Fatalf("no example plans: %v", err)
	}
	for _, p := range plans {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"validate", p}, func(string) string { return "" }, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: exit %d\n%s", p, code, stderr.String())
		}
	}
}
