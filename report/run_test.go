package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/slo"
)

func TestTotalMergesStreams(t *testing.T) {
	r := fixtures()["pass"]
	r.Requests = append(r.Requests, Stream{Scenario: "x", Name: "nil"}) // nil metrics count as empty
	tot := r.Total()
	var req, errs int64
	for _, s := range r.Requests {
		if s.Metrics == nil {
			continue
		}
		req += s.Metrics.Requests
		errs += s.Metrics.Errors
	}
	if tot.Requests != req || tot.Errors != errs {
		t.Errorf("Total: %d requests, %d errors; want %d, %d", tot.Requests, tot.Errors, req, errs)
	}
	// Percentiles are merged, not averaged: the total's max is the
	// slowest stream's max.
	if got, want := tot.Latency.Max(), r.Requests[2].Metrics.Latency.Max(); got != want {
		t.Errorf("Total max latency %v, want %v", got, want)
	}
	if tot == r.Requests[0].Metrics {
		t.Error("Total returned a stream's own metrics")
	}
	before := r.Requests[0].Metrics.Requests
	r.Total()
	if r.Requests[0].Metrics.Requests != before {
		t.Error("Total changed a stream")
	}
}

func TestVerdict(t *testing.T) {
	pass := slo.Result{Objective: &slo.Objective{Expr: "a"}, Pass: true}
	fail := slo.Result{Objective: &slo.Objective{Expr: "b"}}
	tests := []struct {
		name    string
		run     Run
		passed  bool
		verdict string
	}{
		{"no SLOs", Run{}, true, VerdictPass},
		{"all pass", Run{SLOs: []slo.Result{pass, pass}}, true, VerdictPass},
		{"one fails", Run{SLOs: []slo.Result{pass, fail}}, false, VerdictFail},
		{"generator-bound beats fail", Run{SLOs: []slo.Result{fail}, GeneratorBound: "late"}, false, VerdictGeneratorBound},
		{"generator-bound, SLOs pass", Run{SLOs: []slo.Result{pass}, GeneratorBound: "late"}, true, VerdictGeneratorBound},
		{"aborted beats everything", Run{SLOs: []slo.Result{fail}, GeneratorBound: "late", Aborted: "interrupted"}, false, VerdictAborted},
		{"aborted with passing SLOs", Run{SLOs: []slo.Result{pass}, Aborted: "interrupted", Duration: time.Second}, false, VerdictAborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run.Passed(); got != tt.passed {
				t.Errorf("Passed() = %v, want %v", got, tt.passed)
			}
			if got := tt.run.Verdict(); got != tt.verdict {
				t.Errorf("Verdict() = %q, want %q", got, tt.verdict)
			}
		})
	}
}

// Metrics not made by load.NewMetrics have no histograms; every writer
// must still cope.
func TestZeroMetrics(t *testing.T) {
	r := &Run{Name: "z", Requests: []Stream{{Scenario: "s", Name: "n", Metrics: &load.Metrics{Requests: 2, Errors: 1}}}}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&b, r, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	if got := Summarize(r).Total.Count; got != 2 {
		t.Errorf("total count %d, want 2", got)
	}
}

func TestNilRun(t *testing.T) {
	var b bytes.Buffer
	for name, err := range map[string]error{"json": WriteJSON(&b, nil), "text": WriteText(&b, nil, false), "junit": WriteJUnit(&b, nil)} {
		if err == nil {
			t.Errorf("%s: no error for a nil run", name)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	r := fixtures()["pass"]
	for name, err := range map[string]error{"json": WriteJSON(failWriter{}, r), "text": WriteText(failWriter{}, r, false), "junit": WriteJUnit(failWriter{}, r)} {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error %v, want the writer's error wrapped", name, err)
		}
	}
}
