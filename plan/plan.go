// Package plan is Mayfly's plan file: its types, parsing with positions,
// validation, defaults, the test-type profiles and duration scaling. Every
// error names file:line:column and the field.
package plan

import (
	"time"

	"github.com/mayfly-perf/mayfly/slo"
)

// Pos is a position in the plan file, 1-based. The zero Pos means "not
// from a file" (a plan built from command-line flags).
type Pos struct {
	Line, Col int
}

// Plan is a validated plan with every default applied.
type Plan struct {
	File string // the file it was read from ("" for a quick-mode plan)
	Dir  string // relative paths (feeders) are relative to this

	Name string
	Seed uint64 // default 1: the same plan gives the same requests
	// Target is the base URL relative request URLs resolve against.
	Target string
	// AllowHosts lists non-loopback hosts this plan may send traffic to;
	// without them only loopback is ever dialled.
	AllowHosts []string

	HTTP      HTTP
	Feeders   []*Feeder   // in file order
	Scenarios []*Scenario // in file order
	SLOs      []*SLO
}

// HTTP is the client's configuration, shared by all scenarios.
type HTTP struct {
	Timeout   time.Duration // per request; default 30s
	KeepAlive bool          // default true
	// MaxConns caps connections per host; 0 means as many as VUs in flight.
	MaxConns int
	Headers  []Header // sent with every request (templates allowed)
	// LateAfter is the lag beyond which an open-model request counts as
	// late; default 10ms.
	LateAfter time.Duration
}

// Header is one header; Value may be a template.
type Header struct {
	Key, Value string
}

// Feeder is a named source of rows for request templates.
type Feeder struct {
	Name string
	// Exactly one of CSV, JSON, Values, SQL is set. CSV and JSON are paths
	// resolved against Plan.Dir. JSON is an array of objects (or scalars,
	// which become the column "value"). Values is an inline list. SQL is a
	// query run against the environment's database after populate.
	CSV    string
	JSON   string
	Values []map[string]string
	SQL    string
	// Strategy: sequential (in order, each row once), random (uniform,
	// with replacement), unique (each row once, in a seeded random order)
	// or circular (in order, wrapping round; the default).
	Strategy string
	Pos      Pos
}

// Executors, by the name used in plans (k6's vocabulary).
const (
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	PerVUIterations     = "per-vu-iterations"
	SharedIterations    = "shared-iterations"
)

// Scenario is one workload. Which fields matter depends on Executor; the
// parser rejects fields the executor does not use.
type Scenario struct {
	Name     string
	Executor string
	// Profile is the test-type preset the scenario was expanded from
	// (nil when the plan gave an executor).
	Profile *Profile

	StartTime    time.Duration // delay from the start of the run
	GracefulStop time.Duration // time iterations get to finish at the end; default 30s

	// Open model.
	Rate            float64 // iterations per second (constant-arrival-rate)
	StartRate       float64 // ramping-arrival-rate: rate at time 0
	PreAllocatedVUs int     // default: enough for 1s of Rate (at most MaxVUs)
	MaxVUs          int     // default: 10,000 (in-flight iterations)

	// Closed model.
	VUs              int // constant-vus, per-vu-iterations, shared-iterations
	StartVUs         int // ramping-vus
	Iterations       int // per-vu-iterations (per VU), shared-iterations (in all)
	GracefulRampDown time.Duration

	// Duration of constant executors; MaxDuration bounds the iteration
	// executors (default 10m).
	Duration    time.Duration
	MaxDuration time.Duration

	// Stages of the ramping executors: the target (rate or VUs) is reached
	// linearly over each stage's duration.
	Stages []Stage

	// Think is a pause after each request (closed model), uniformly drawn
	// from [Min, Max].
	Think Think

	Requests []*Request // one iteration sends these in order
	Pos      Pos
}

// Stage is one leg of a ramp.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Think is a think-time range; the zero value means none.
type Think struct {
	Min, Max time.Duration
}

// Profile is a test-type preset, expanded into ramping-arrival-rate stages.
type Profile struct {
	// Kind is load, stress, spike, soak or breakpoint.
	Kind string
	Rate float64 // the base rate, per second
	Peak float64 // the peak as a multiple of Rate (stress, spike, breakpoint)
	// Durations of the phases; which apply depends on Kind.
	Ramp, Hold, Step time.Duration
	Steps            int
}

// Request is one request of a scenario's sequence. Method, URL, header
// values and Body are templates.
type Request struct {
	Name    string // default: METHOD path
	Method  string
	URL     string // absolute, or relative to Plan.Target
	Headers []Header
	Body    string
	Expect  Expect
	Extract []Extract
	Pos     Pos
}

// Expect is what a response must satisfy; a failure is a measurement.
type Expect struct {
	Status       []int       // default: any status below 400
	BodyContains []string    // each must occur in the body
	JSON         []JSONCheck // each path must equal its value
}

// JSONCheck asserts the value at a JSON path (gjson syntax).
type JSONCheck struct {
	Path  string
	Value any // as decoded from YAML: string, int, float64, bool, nil
}

// Extract takes a value from a response into a variable for the requests
// that follow in the same iteration.
type Extract struct {
	Var  string
	From string // json, header or regex
	Expr string // gjson path, header name, or a regexp whose first group is taken
}

// SLO is one objective of the plan.
type SLO struct {
	Objective *slo.Objective
	Abort     bool          // stop the run when it fails
	Grace     time.Duration // do not judge for abort before this much of the run
	Pos       Pos
}
