// Package runner runs one test through the lifecycle of DESIGN.md §1: it
// compiles a plan's scenarios, drives the engine, streams every second to
// the results directory, judges the SLOs as the run goes (abort-on-fail,
// breakpoint) and at its end, and writes the reports.
//
// The results directory holds:
//
//	summary.json   the run's summary (schema: report/SCHEMA.md)
//	series.ndjson  one line per second and request name, with encoded HDR
//	               histograms, plus one "run" line per second (VUs, in flight,
//	               dropped); see Series
//	junit.xml      the SLOs as test cases
//	summary.txt    the end-of-run table, as printed
//	plan.json      the plan as resolved (defaults, profiles, scaling applied)
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mayfly-perf/mayfly/feed"
	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/plan"
	"github.com/mayfly-perf/mayfly/report"
	"github.com/mayfly-perf/mayfly/request/script"
	"github.com/mayfly-perf/mayfly/slo"
)

// Verdict is how a run ended, from the point of view of CI.
type Verdict int

const (
	Passed         Verdict = iota // every SLO held
	Failed                        // an SLO failed
	GeneratorBound                // the generator could not keep its schedule: results do not judge the server
	AbortedBySLO                  // an abort-on-fail SLO stopped the run
	Interrupted                   // the run was cancelled (Ctrl-C, SIGTERM)
)

func (v Verdict) String() string {
	return [...]string{"pass", "fail", "generator-bound", "aborted", "interrupted"}[v]
}

// Progress is how the run reports while it goes.
type Progress int

const (
	NoProgress    Progress = iota
	ProgressBar            // a redrawn line, for terminals
	ProgressLines          // plain periodic lines, for logs
)

// Options configure a run. The zero value runs quietly and writes no files.
type Options struct {
	Out      string    // results directory (created); "" writes no files
	Stdout   io.Writer // progress and the end-of-run summary; nil: discard
	Progress Progress
	Width    int  // terminal width for the progress bar; default 100
	Color    bool // ANSI colour in the summary
}

// Outcome is what a run produced.
type Outcome struct {
	Run     *report.Run
	Verdict Verdict
}

// GeneratorBoundLate is the share of late requests (and at least three)
// beyond which a run is generator-bound: its schedule was not kept, so the latencies measured
// describe Mayfly's machine as much as the server.
const GeneratorBoundLate = 0.01

// Run runs the plan. Its error is for a run that could not happen (a
// feeder that cannot be read, a results directory that cannot be written);
// a failed SLO or request is in the Outcome.
func Run(ctx context.Context, p *plan.Plan, opt Options) (*Outcome, error) {
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	started := time.Now()
	prepStart := time.Now()
	scenarios, err := compile(p)
	if err != nil {
		return nil, err
	}
	var series *seriesWriter
	if opt.Out != "" {
		if err := os.MkdirAll(opt.Out, 0o755); err != nil {
			return nil, fmt.Errorf("create results directory: %w", err)
		}
		if err := writeJSONFile(filepath.Join(opt.Out, "plan.json"), p); err != nil {
			return nil, err
		}
		if series, err = newSeriesWriter(filepath.Join(opt.Out, "series.ndjson")); err != nil {
			return nil, err
		}
		defer series.Close()
	}
	prepared := time.Since(prepStart)

	objs := make([]*slo.Objective, len(p.SLOs))
	for i, s := range p.SLOs {
		objs[i] = s.Objective
	}
	w := &watcher{
		plan: p, opt: opt, eval: slo.NewEvaluator(objs), series: series,
		length: p.Length(), breakpoint: breakpointPacers(p),
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.cancel = cancel

	rec := load.NewRecorder(p.HTTP.LateAfter, w.second)
	a := &load.Attacker{
		Recorder:         rec,
		Timeout:          p.HTTP.Timeout,
		DisableKeepAlive: !p.HTTP.KeepAlive,
		MaxConns:         p.HTTP.MaxConns,
		Seed:             p.Seed,
		AllowHost:        allowHosts(p.AllowHosts),
	}

	loadStart := time.Now()
	w.start = loadStart
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, scenarios...) }()
	tick := time.NewTicker(time.Second)
	var runErr error
loop:
	for {
		select {
		case runErr = <-done:
			break loop
		case <-tick.C:
			rec.Flush()
		}
	}
	tick.Stop()
	rec.Flush() // the last, partial second
	a.CloseIdleConnections()
	loadDur := time.Since(loadStart)
	if runErr != nil {
		return nil, fmt.Errorf("run scenarios: %w", runErr)
	}
	if opt.Progress == ProgressBar {
		fmt.Fprintln(opt.Stdout)
	}
	if err := series.Err(); err != nil {
		return nil, err
	}

	run := &report.Run{
		Name: p.Name, Started: started, Duration: loadDur, Seed: p.Seed,
		SLOs:   w.eval.Results(),
		Phases: []report.Phase{{Name: "prepare", Duration: prepared}, {Name: "load", Duration: loadDur}},
	}
	for _, k := range rec.Keys() {
		run.Requests = append(run.Requests, report.Stream{Scenario: k.Scenario, Name: k.Name, Metrics: rec.Totals(k)})
	}
	for _, s := range p.Scenarios {
		run.Scenarios = append(run.Scenarios, report.ScenarioStats{
			Name: s.Name, Executor: s.Executor, Iterations: rec.Iterations(s.Name), Dropped: rec.Dropped(s.Name),
		})
	}
	run.GeneratorBound = generatorBound(run)
	verdict := Passed
	switch cause := context.Cause(runCtx); {
	case ctx.Err() != nil:
		run.Aborted = "interrupted"
		verdict = Interrupted
	case errors.Is(cause, errSLOAbort):
		run.Aborted = cause.Error()
		verdict = AbortedBySLO
	case run.GeneratorBound != "" && w.bp == nil:
		verdict = GeneratorBound
	case !run.Passed():
		verdict = Failed
	}
	if w.bp != nil {
		run.Breakpoint = w.bp
		if verdict == Failed {
			// A breakpoint test is meant to break: finding the rate is
			// the pass.
			verdict = Passed
		}
	}

	if err := writeReports(opt, run); err != nil {
		return nil, err
	}
	return &Outcome{Run: run, Verdict: verdict}, nil
}

var errSLOAbort = errors.New("SLO failed")

// compile turns the plan's scenarios into engine scenarios.
func compile(p *plan.Plan) ([]load.Scenario, error) {
	feeders := map[string]*feed.Feeder{}
	for _, f := range p.Feeders {
		fd, err := feed.Open(f, p.Dir, p.Seed)
		if err != nil {
			return nil, fmt.Errorf("open feeder %q: %w", f.Name, err)
		}
		feeders[f.Name] = fd
	}
	var out []load.Scenario
	for _, s := range p.Scenarios {
		fn, err := script.Compile(s, p, feeders)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", s.Name, err)
		}
		out = append(out, load.Scenario{
			Name: s.Name, Executor: executor(s), Iteration: fn,
			StartTime: s.StartTime, GracefulStop: s.GracefulStop,
		})
	}
	return out, nil
}

func stages(in []plan.Stage) []load.Stage {
	out := make([]load.Stage, len(in))
	for i, s := range in {
		out[i] = load.Stage{Duration: s.Duration, Target: s.Target}
	}
	return out
}

func executor(s *plan.Scenario) load.Executor {
	switch s.Executor {
	case plan.ConstantArrivalRate:
		return load.ConstantArrivalRate{Rate: s.Rate, Duration: s.Duration, PreAllocatedVUs: s.PreAllocatedVUs, MaxVUs: s.MaxVUs}
	case plan.RampingArrivalRate:
		return load.RampingArrivalRate{StartRate: s.StartRate, Stages: stages(s.Stages), PreAllocatedVUs: s.PreAllocatedVUs, MaxVUs: s.MaxVUs}
	case plan.ConstantVUs:
		return load.ConstantVUs{VUs: s.VUs, Duration: s.Duration}
	case plan.RampingVUs:
		return load.RampingVUs{StartVUs: s.StartVUs, Stages: stages(s.Stages)}
	case plan.PerVUIterations:
		return load.PerVUIterations{VUs: s.VUs, Iterations: s.Iterations, MaxDuration: s.MaxDuration}
	case plan.SharedIterations:
		return load.SharedIterations{VUs: s.VUs, Iterations: s.Iterations, MaxDuration: s.MaxDuration}
	}
	return nil // plan validation rejects unknown executors
}

func allowHosts(hosts []string) func(string) bool {
	if len(hosts) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, h := range hosts {
		set[h] = true
	}
	return func(h string) bool { return set[h] }
}

// breakpointPacers returns the schedules of breakpoint scenarios, to read
// the rate at which an SLO broke.
func breakpointPacers(p *plan.Plan) map[*plan.Scenario]*load.RampingPacer {
	out := map[*plan.Scenario]*load.RampingPacer{}
	for _, s := range p.Scenarios {
		if s.Profile != nil && s.Profile.Kind == "breakpoint" {
			out[s] = load.NewRampingPacer(s.StartRate, stages(s.Stages))
		}
	}
	return out
}

// generatorBound says why the run did not keep its schedule, or "".
func generatorBound(r *report.Run) string {
	total := r.Total()
	var dropped int64
	for _, s := range r.Scenarios {
		dropped += s.Dropped
	}
	var why string
	// Three late requests at least: one straggler in a short run is noise.
	if total.Requests > 0 && total.Late >= 3 {
		if share := float64(total.Late) / float64(total.Requests); share > GeneratorBoundLate {
			why = fmt.Sprintf("%.1f%% of requests were sent late (lag p99 %v, max %v)",
				share*100, roundDur(total.Lag.Quantile(99)), roundDur(total.Lag.Max()))
		}
	}
	if dropped > 0 {
		if why != "" {
			why += "; "
		}
		why += fmt.Sprintf("%d iterations dropped: every VU was busy (raise max_vus)", dropped)
	}
	return why
}

// roundDur keeps three significant digits, as the reports print them.
func roundDur(d time.Duration) time.Duration {
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		if d >= unit {
			return d.Round(unit / 100)
		}
	}
	return d
}

func writeReports(opt Options, run *report.Run) error {
	if err := report.WriteText(opt.Stdout, run, opt.Color); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if opt.Out == "" {
		return nil
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"summary.json", func(w io.Writer) error { return report.WriteJSON(w, run) }},
		{"junit.xml", func(w io.Writer) error { return report.WriteJUnit(w, run) }},
		{"summary.txt", func(w io.Writer) error { return report.WriteText(w, run, false) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(opt.Out, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeJSONFile(path string, v any) error {
	return writeFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// watcher receives every second from the recorder: it streams it to disk,
// feeds the SLO evaluator, shows progress and stops the run when an
// abort-on-fail SLO fails or a breakpoint is found.
type watcher struct {
	plan       *plan.Plan
	opt        Options
	eval       *slo.Evaluator
	series     *seriesWriter
	cancel     context.CancelCauseFunc
	start      time.Time
	length     time.Duration
	breakpoint map[*plan.Scenario]*load.RampingPacer

	mu        sync.Mutex
	requests  int64
	errors    int64
	scratch   *load.Metrics
	lastPrint time.Time
	held      float64 // the last breakpoint rate at which every SLO held
	lateRun   int     // consecutive seconds with late requests
	bp        *report.Breakpoint
}

func (w *watcher) second(s *load.Second) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.series.Write(s)
	w.eval.Observe(slo.Second{T: s.T, Requests: s.Requests, Dropped: s.Dropped})

	if w.scratch == nil {
		w.scratch = load.NewMetrics()
	}
	all := w.scratch
	all.Reset()
	for _, m := range s.Requests {
		all.Merge(m)
	}
	w.requests += all.Requests
	w.errors += all.Errors
	w.progress(s, all)
	w.judge(s, all)
}

// judge stops the run for a failed abort-on-fail SLO or a breakpoint.
func (w *watcher) judge(s *load.Second, all *load.Metrics) {
	elapsed := time.Duration(s.T+1) * time.Second
	failing := w.eval.Failing()
	for _, f := range failing {
		for _, ps := range w.plan.SLOs {
			if ps.Objective == f.Objective && ps.Abort && elapsed >= ps.Grace {
				w.cancel(fmt.Errorf("%w: %s (measured %s)", errSLOAbort, ps.Objective.Expr, f.Text))
				return
			}
		}
	}
	if len(w.breakpoint) == 0 || w.bp != nil {
		return
	}
	var dropped int64
	for _, n := range s.Dropped {
		dropped += n
	}
	// Saturation is a schedule that cannot be kept: an iteration dropped,
	// or lateness two seconds running — not one straggler in a second.
	late := all.Late >= 3 && float64(all.Late)/float64(all.Requests) > GeneratorBoundLate
	if late {
		w.lateRun++
	} else {
		w.lateRun = 0
	}
	saturated := dropped > 0 || w.lateRun >= 2
	switch {
	case len(failing) > 0:
		w.bp = &report.Breakpoint{Rate: w.held, Reason: "SLO broke: " + failing[0].Objective.Expr + " (measured " + failing[0].Text + ")"}
	case saturated:
		w.bp = &report.Breakpoint{Rate: w.held, Reason: "the generator saturated before any SLO broke"}
	default:
		var rate float64
		for sc, p := range w.breakpoint {
			rate += p.RateAt(elapsed - sc.StartTime)
		}
		w.held = rate
		return
	}
	w.cancel(nil) // a found breakpoint ends the test normally
}

func (w *watcher) progress(s *load.Second, all *load.Metrics) {
	if w.opt.Progress == NoProgress {
		return
	}
	snap := report.Snapshot{
		Elapsed: time.Since(w.start), Total: w.length,
		Rate: float64(all.Requests), P95: all.Latency.Quantile(95),
		Requests: w.requests, Errors: w.errors,
		InFlight: int(s.InFlight), VUs: int(s.VUs),
	}
	switch w.opt.Progress {
	case ProgressBar:
		width := w.opt.Width
		if width <= 0 {
			width = 100
		}
		report.WriteProgressBar(w.opt.Stdout, snap, width)
	case ProgressLines:
		every := min(max(w.length/10, time.Second), 10*time.Second)
		if time.Since(w.lastPrint) >= every-100*time.Millisecond {
			w.lastPrint = time.Now()
			report.WriteProgressLine(w.opt.Stdout, snap)
		}
	}
}
