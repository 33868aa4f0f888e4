package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/slo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// hits records n synthetic hits into m. The i-th is due at t0+i·10ms, is
// sent lag(i) later, and takes svc(i) to complete; status(i) and kind(i)
// say how it ended.
func hits(m *load.Metrics, n int, lag, svc func(i int) time.Duration, status func(i int) int, kind func(i int) load.ErrorKind) {
	for i := 0; i < n; i++ {
		due := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		sent := due.Add(lag(i))
		h := &load.Hit{Intended: due, Sent: sent, Done: sent.Add(svc(i)), Status: status(i), Kind: kind(i), BytesIn: 512, BytesOut: 128}
		m.Add(h, 10*time.Millisecond)
	}
}

func noLag(int) time.Duration   { return 100 * time.Microsecond }
func okKind(int) load.ErrorKind { return load.OK }

// stream builds a stream whose hits take 2ms plus a spread up to 20ms,
// with every 97th hit answered 503 and every 211th timed out.
func stream(scenario, name string, n int, spread time.Duration, lag func(int) time.Duration) Stream {
	m := load.NewMetrics()
	hits(m, n, lag,
		func(i int) time.Duration {
			return 2*time.Millisecond + time.Duration(i*7919%n)*spread/time.Duration(n)
		},
		func(i int) int {
			switch {
			case i%211 == 210:
				return 0
			case i%97 == 96:
				return 503
			}
			return 200
		},
		func(i int) load.ErrorKind {
			switch {
			case i%211 == 210:
				return load.Timeout
			case i%97 == 96:
				return load.Status
			}
			return load.OK
		})
	return Stream{Scenario: scenario, Name: name, Metrics: m}
}

func result(expr string, value float64, text string, pass bool) slo.Result {
	return slo.Result{Objective: &slo.Objective{Expr: expr}, Value: value, Text: text, Pass: pass}
}

// fixtures are the runs the golden files render, one per verdict and a few
// edges.
func fixtures() map[string]*Run {
	base := func() *Run {
		return &Run{
			Name: "ticketing", Started: t0, Duration: 20 * time.Second, Seed: 42,
			Requests: []Stream{
				stream("create_ticket", "create_ticket", 2000, 20*time.Millisecond, noLag),
				stream("browse", "login", 300, 400*time.Millisecond, noLag),
				stream("browse", "search", 700, 3*time.Second, noLag),
			},
			Scenarios: []ScenarioStats{
				{Name: "create_ticket", Executor: "constant-arrival-rate", Iterations: 2000},
				{Name: "browse", Executor: "constant-vus", Iterations: 300},
			},
			SLOs: []slo.Result{
				result("latency{request=create_ticket} p95 < 2s", 0.0203, "20.3ms", true),
				result("rate >= 100/s", 150, "150/s", true),
				result("errors < 5%", 0.0151, "1.5%", true),
			},
			Phases: []Phase{{"postgres", 1200 * time.Millisecond}, {"populate", 3400 * time.Millisecond}, {"load", 20 * time.Second}, {"teardown", 350 * time.Millisecond}},
		}
	}
	fs := map[string]*Run{}

	fs["pass"] = base()

	fail := base()
	fail.SLOs = []slo.Result{
		result("latency{request=search} p99 < 1s", 2.31, "2.31s", false),
		result("errors < 1%", 0.0151, "1.5%", false),
		result("rate >= 100/s", 150, "150/s", true),
		{Objective: &slo.Objective{Expr: "latency{request=logout} p95 < 2s"}, Value: math.NaN(), Missing: "no requests matched request=logout"},
	}
	fs["fail"] = fail

	gb := base()
	late := func(i int) time.Duration {
		if i%50 == 0 {
			return 15*time.Millisecond + time.Duration(i)*100*time.Microsecond
		}
		return 200 * time.Microsecond
	}
	gb.Requests[0] = stream("create_ticket", "create_ticket", 2000, 20*time.Millisecond, late)
	gb.Scenarios[0].Dropped = 12
	gb.GeneratorBound = "1.3% of requests sent more than 10ms late (max lag 210ms); 12 iterations dropped"
	gb.SLOs[0] = result("latency{request=create_ticket} p95 < 20ms", 0.0251, "25.1ms", false)
	fs["generator-bound"] = gb

	ab := base()
	ab.Duration = 7500 * time.Millisecond
	ab.Aborted = "SLO failed: errors < 1%"
	ab.Breakpoint = &Breakpoint{Rate: 812, Reason: "p95 went over 2s at 850/s"}
	ab.SLOs = []slo.Result{result("errors < 1%", 0.0151, "1.5%", false)}
	ab.Phases = []Phase{{"load", 7500 * time.Millisecond}, {"teardown", 300 * time.Millisecond}}
	fs["aborted"] = ab

	// Nothing happened: a run interrupted before its first request.
	fs["empty"] = &Run{Name: "quick", Aborted: "interrupted",
		Requests: []Stream{{Scenario: "default", Name: "default"}}}

	// The same request name in two scenarios, and a request that was never
	// sent (a script error) so it has counts but no timings.
	dup := &Run{Name: "dup", Started: t0, Duration: 10 * time.Second, Seed: 1}
	dup.Requests = append(dup.Requests,
		stream("a", "get", 100, time.Millisecond, noLag),
		stream("b", "get", 100, time.Millisecond, noLag))
	script := load.NewMetrics()
	hits(script, 3, noLag, noLag, func(int) int { return 0 }, func(int) load.ErrorKind { return load.Script })
	dup.Requests = append(dup.Requests, Stream{Scenario: "b", Name: "post", Metrics: script})
	fs["duplicate-names"] = dup
	return fs
}
