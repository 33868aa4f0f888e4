package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
	"github.com/mayfly-perf/mayfly/plan"
	"github.com/mayfly-perf/mayfly/report"
)

func parse(t *testing.T, srv *httptest.Server, text string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse("test.yaml", []byte(strings.ReplaceAll(text, "TARGET", srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The per-second histograms on disk merge back into exactly the run's
// totals: percentiles over any span can be recomputed from series.ndjson.
func TestSeriesMergesToTotals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := parse(t, srv, `
target: TARGET
scenarios:
  a: {executor: constant-arrival-rate, rate: 100, duration: 2s, request: GET /a}
  b: {executor: shared-iterations, vus: 2, iterations: 50, request: GET /b}
`)
	dir := t.TempDir()
	o, err := Run(context.Background(), p, Options{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "junit.xml", "summary.txt", "plan.json", "series.ndjson"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "series.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	merged := hist.New()
	var count int64
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l SeriesLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Kind != "request" {
			continue
		}
		h := hist.New()
		if err := h.UnmarshalText([]byte(l.HDR.Latency)); err != nil {
			t.Fatal(err)
		}
		merged.Merge(h)
		count += l.Requests
	}
	total := o.Run.Total()
	if count != 250 || total.Requests != 250 || merged.Count() != 250 {
		t.Fatalf("series %d requests, histograms %d, summary %d; want 250", count, merged.Count(), total.Requests)
	}
	if merged.Quantile(99) != total.Latency.Quantile(99) || merged.Max() != total.Latency.Max() {
		t.Fatalf("merged p99 %v max %v, totals p99 %v max %v", merged.Quantile(99), merged.Max(), total.Latency.Quantile(99), total.Latency.Max())
	}
	s, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := report.ReadJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Verdict != "pass" {
		t.Fatalf("verdict %q", sum.Verdict)
	}
}

// A server with a capacity of about 200 requests/s (one at a time, 5ms
// each): a breakpoint ramp from 50 to 600/s must stop near it, not run to
// the end, and report the last rate that held.
func TestBreakpointFindsCapacity(t *testing.T) {
	sem := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sem <- struct{}{}
		time.Sleep(5 * time.Millisecond)
		<-sem
	}))
	defer srv.Close()
	p := parse(t, srv, `
target: TARGET
http: {timeout: 5s}
scenarios:
  find:
    profile: breakpoint
    rate: 50
    peak: 12
    hold: 12s
    request: GET /
slo:
  - "latency p95 over 1s < 100ms"
`)
	start := time.Now()
	o, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bp := o.Run.Breakpoint
	if bp == nil {
		t.Fatalf("no breakpoint found; verdict %v", o.Verdict)
	}
	t.Logf("breakpoint at %.0f/s: %s", bp.Rate, bp.Reason)
	// Capacity is 200/s; the SLO breaks once the queue has grown, a little
	// above it. Lower rates mean a slow machine, never a wrong engine.
	if bp.Rate < 50 || bp.Rate > 400 {
		t.Errorf("breakpoint at %.0f/s (%s), want near 200/s", bp.Rate, bp.Reason)
	}
	if time.Since(start) > 11*time.Second {
		t.Errorf("ran %v: the ramp was not stopped at the breakpoint", time.Since(start))
	}
	if o.Verdict != Passed {
		t.Errorf("verdict %v: finding the breakpoint is the test's success", o.Verdict)
	}
}

func TestAbortOnFailAfterGrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := parse(t, srv, `
target: TARGET
scenarios:
  s: {executor: constant-vus, vus: 2, duration: 30s, think: 10ms, request: GET /}
slo:
  - {expr: "errors over 1s < 50%", abort: true, grace: 2s}
`)
	start := time.Now()
	o, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if o.Verdict != AbortedBySLO || !strings.Contains(o.Run.Aborted, "errors over 1s < 50%") {
		t.Fatalf("verdict %v, aborted %q", o.Verdict, o.Run.Aborted)
	}
	if el < 2*time.Second || el > 10*time.Second {
		t.Errorf("aborted after %v; want after the 2s grace, long before 30s", el)
	}
}

// The same plan and seed send the same requests, whatever the scheduling;
// another seed sends others.
func TestSameSeedSameRequests(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+string(body))
		mu.Unlock()
	}))
	defer srv.Close()
	requests := func(seed uint64) []string {
		mu.Lock()
		seen = nil
		mu.Unlock()
		p := parse(t, srv, `
target: TARGET
feeders:
  words: {values: [alpha, beta, gamma, delta], strategy: random}
scenarios:
  s:
    executor: shared-iterations
    vus: 4
    iterations: 40
    request:
      method: POST
      url: /items/{{randInt 1 1000000}}?id={{uuid}}
      body: '{"w": {{feed "words" "value" | json}}, "p": {{pick 1 2 3}}}'
`)
		p.Seed = seed
		if _, err := Run(context.Background(), p, Options{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(seen)
		slices.Sort(out)
		return out
	}
	a, b, c := requests(7), requests(7), requests(8)
	if len(a) != 40 || !slices.Equal(a, b) {
		t.Fatalf("seed 7 twice: %d and %d requests, equal %v", len(a), len(b), slices.Equal(a, b))
	}
	if slices.Equal(a, c) {
		t.Fatal("seeds 7 and 8 sent the same requests")
	}
}
