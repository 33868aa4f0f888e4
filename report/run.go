package report

import (
	"time"

	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/slo"
)

// Run is everything known about a finished (or aborted) run.
type Run struct {
	Name      string        // plan name
	Started   time.Time     // when the run started
	Duration  time.Duration // of the load phase (for rates)
	Seed      uint64
	Requests  []Stream // one per request name (scenario+name), in plan order
	Scenarios []ScenarioStats
	SLOs      []slo.Result
	// GeneratorBound is "" or why the load generator, not the system under
	// test, limited the run: "1.8% of requests sent more than 10ms late
	// (max lag 240ms); 12 iterations dropped".
	GeneratorBound string
	// Aborted is "" or why the run stopped early: "SLO failed: errors <
	// 1%", "interrupted".
	Aborted    string
	Breakpoint *Breakpoint // for breakpoint tests: the last rate that held
	Phases     []Phase     // lifecycle timeline, in order
}

// Stream is the measurements of one request name of one scenario.
type Stream struct {
	Scenario, Name string
	Metrics        *load.Metrics // nil counts as empty
}

// ScenarioStats counts a scenario's iterations. Dropped iterations were
// due but never started (an open-model executor out of VUs).
type ScenarioStats struct {
	Name, Executor      string
	Iterations, Dropped int64
}

// Breakpoint is the outcome of a breakpoint test.
type Breakpoint struct {
	Rate   float64 // the last arrival rate that held, per second
	Reason string  // why the next step did not hold
}

// Phase is one step of the run's lifecycle ("postgres", "populate",
// "load", "teardown") and how long it took.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Verdicts, as written to summary.json. When several apply, the first of
// this list wins: an aborted run says nothing about its SLOs, and a
// generator-bound run says nothing about the server.
const (
	VerdictAborted        = "aborted"
	VerdictGeneratorBound = "generator-bound"
	VerdictFail           = "fail"
	VerdictPass           = "pass"
)

// Total merges the metrics of all streams. The result is a new Metrics;
// the streams are not changed.
func (r *Run) Total() *load.Metrics {
	t := load.NewMetrics()
	for _, s := range r.Requests {
		t.Merge(s.Metrics) // Merge ignores nil
	}
	return t
}

// Passed reports whether every SLO passed and the run was not aborted. A
// run without SLOs passes unless aborted. Whether the generator kept up is
// a separate question (Verdict).
func (r *Run) Passed() bool {
	if r.Aborted != "" {
		return false
	}
	for _, res := range r.SLOs {
		if !res.Pass {
			return false
		}
	}
	return true
}

// Verdict is the run's one-word outcome: VerdictAborted, then
// VerdictGeneratorBound, then VerdictFail, else VerdictPass.
func (r *Run) Verdict() string {
	switch {
	case r.Aborted != "":
		return VerdictAborted
	case r.GeneratorBound != "":
		return VerdictGeneratorBound
	case !r.Passed():
		return VerdictFail
	}
	return VerdictPass
}

// dropped is the number of iterations dropped across all scenarios.
func (r *Run) dropped() int64 {
	var n int64
	for _, s := range r.Scenarios {
		n += s.Dropped
	}
	return n
}
