// Package slo is Mayfly's language of service-level objectives, e.g.
//
//	latency{request=create_ticket} p95 < 2s
//	latency p99 over 1m < 500ms
//	rate >= 100/s
//	errors < 1%
//
// and their evaluation: at the end of a run over the whole run, and while it
// runs over rolling windows (for abort-on-fail and breakpoint tests).
//
// # Grammar
//
//	expr     = metric [ selector ] [ stat ] [ "over" duration ] op number [ unit ]
//	metric   = latency | service_time | rate | errors | checks | requests | dropped | late
//	selector = "{" label "=" value { "," label "=" value } "}"
//	label    = request | scenario        (dropped: scenario only)
//	value    = word | "quoted string"    (a word is letters, digits, _ . -)
//	stat     = p<number> | avg | mean | min | max
//	op       = < | <= | > | >= | == | !=
//	duration = number ( ns | us | µs | ms | s | m | h )
//
// Whitespace between tokens is free. A stat is required for the duration
// metrics (latency, service_time) and forbidden for the others; p<number>
// is a percentile above 0 and at most 100 (p50, p99.9, p99.99).
//
// The unit after the threshold depends on the metric's kind:
//
//   - duration metrics (latency, service_time): a duration unit, required;
//     the threshold is in seconds ("250ms" is 0.25).
//   - ratios (errors, checks, late): "%", required; the threshold is a
//     fraction ("1%" is 0.01).
//   - rate: "/s" (the default) or "/m"; the threshold is per second
//     ("6000/m" is 100).
//   - counts (requests, dropped): no unit.
//
// # Metrics
//
// Over the hits a selector matches (request= is the request name,
// scenario= the scenario; no selector matches everything):
//
//   - latency, service_time: the distribution of latency (from the intended
//     start) or service time (from the actual send), read from histograms
//     merged across seconds and request names, never averaged.
//   - errors: failed hits / hits. checks: hits not failing a check / hits.
//     late: hits sent late / hits.
//   - rate: hits per second over the evaluated span.
//   - requests: the number of hits.
//   - dropped: iterations the engine dropped (per scenario).
//
// # Rolling windows
//
// "latency p99 over 1m < 500ms" must hold for every 1-minute window, sliding
// by a second: the value is that of the worst full window (the largest for
// < and <=, the smallest for > and >=). A window must be a whole number of
// seconds, between 1s and 24h. A run shorter than its window is judged over
// the whole run.
//
// New metrics (server-side probes: cpu, memory, database) are rows of the
// metric table in metric.go.
package slo

import "time"

// Objective is one parsed SLO expression.
type Objective struct {
	Expr   string            // as written
	Metric string            // latency, service_time, rate, errors, checks, …
	Labels map[string]string // selector: request=…, scenario=…; empty: everything
	Stat   string            // p50 … p99.9, avg, min, max; "" where the metric has none
	Window time.Duration     // 0: the whole run; else the worst window of this length
	Op     string            // <, <=, >, >=, ==, !=
	// Threshold is in the metric's base unit: seconds for durations, a
	// fraction for percentages (1% = 0.01), per second for rates.
	Threshold float64
	// Unit is the unit the threshold was written in ("ms", "%", "/m"; ""
	// for counts). String and Result.Text print values in it.
	Unit string
}

// Result is an objective's verdict.
type Result struct {
	Objective *Objective
	Value     float64 // measured, in the objective's base unit (see Threshold)
	Pass      bool
	// Text is the measured value formatted in the expression's unit with
	// three significant digits, e.g. "1.23s", "0.42%", "101/s".
	Text string
	// Missing says why there was nothing to measure ("no requests matched
	// {request=login}"); Pass is false then.
	Missing string
	// From and To are the first and last second (Second.T, inclusive) the
	// value was measured over: the worst window for a windowed objective,
	// else the whole run (or the latest window, for Failing).
	From, To int
}
