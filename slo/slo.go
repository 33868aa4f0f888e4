// Package slo is Mayfly's language of service-level objectives, e.g.
//
//	latency{request=create_ticket} p95 < 2s
//	latency p99 over 1m < 500ms
//	rate >= 100/s
//	errors < 1%
//
// and their evaluation: at the end of a run over the whole run, and while it
// runs over rolling windows (for abort-on-fail and breakpoint tests).
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
}

// Result is an objective's verdict.
type Result struct {
	Objective *Objective
	Value     float64 // measured, in the objective's base unit (see Threshold)
	Pass      bool
	// Text is the measured value formatted in the expression's unit, e.g.
	// "1.23s", "0.4%", "101.2/s".
	Text string
	// Missing says why there was nothing to measure ("no requests matched
	// request=login"); Pass is false then.
	Missing string
}
