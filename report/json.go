package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/slo"
)

// SchemaVersion is the version of summary.json this package writes and the
// newest it reads. It changes only when a field is removed or changes
// meaning; adding a field keeps it (readers ignore fields they do not
// know). SCHEMA.md documents every field.
const SchemaVersion = 1

// Summary is summary.json: the machine-readable result of a run. Durations
// are seconds (fields ending in _s) or milliseconds (latency blocks);
// see SCHEMA.md.
type Summary struct {
	Schema   int       `json:"schema"`
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_s"` // of the load phase
	Seed     uint64    `json:"seed"`

	Verdict              string            `json:"verdict"`
	GeneratorBound       bool              `json:"generator_bound"`
	GeneratorBoundReason string            `json:"generator_bound_reason"`
	Aborted              string            `json:"aborted"`
	Breakpoint           *BreakpointResult `json:"breakpoint"` // null unless a breakpoint test

	Total     Stats           `json:"total"`
	Requests  []RequestStats  `json:"requests"`
	Scenarios []ScenarioCount `json:"scenarios"`
	SLOs      []SLOResult     `json:"slos"`
	Phases    []PhaseTime     `json:"phases"`
}

// Stats summarises the hits of one request name, or of all of them.
type Stats struct {
	Count     int64   `json:"count"`      // requests, failed or not
	RPS       float64 `json:"rps"`        // count / duration_s
	Errors    int64   `json:"errors"`     // failed requests
	ErrorRate float64 `json:"error_rate"` // errors / count, a fraction
	Dropped   int64   `json:"dropped"`    // iterations never started (total only)
	Late      int64   `json:"late"`       // requests sent late by the generator

	// ErrorsByKind counts failures by load.ErrorKind name; kinds with no
	// failures are absent.
	ErrorsByKind map[string]int64 `json:"errors_by_kind"`
	Status       StatusCounts     `json:"status"`
	BytesIn      int64            `json:"bytes_in"`
	BytesOut     int64            `json:"bytes_out"`

	Latency     Latency `json:"latency"`      // intended start → done
	ServiceTime Latency `json:"service_time"` // actual send → done
	Lag         Lag     `json:"lag"`          // intended start → actual send
}

// StatusCounts counts responses by status class; None counts requests
// that got no response at all.
type StatusCounts struct {
	S1xx int64 `json:"1xx"`
	S2xx int64 `json:"2xx"`
	S3xx int64 `json:"3xx"`
	S4xx int64 `json:"4xx"`
	S5xx int64 `json:"5xx"`
	None int64 `json:"none"`
}

// Latency is a distribution in milliseconds (three decimals, i.e.
// microsecond resolution). All zero when there were no timed requests.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
}

// Lag is the generator's own delay in milliseconds.
type Lag struct {
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// RequestStats is the Stats of one request name of one scenario.
type RequestStats struct {
	Scenario string `json:"scenario"`
	Name     string `json:"name"`
	Stats
}

// ScenarioCount counts a scenario's iterations.
type ScenarioCount struct {
	Name       string `json:"name"`
	Executor   string `json:"executor"`
	Iterations int64  `json:"iterations"`
	Dropped    int64  `json:"dropped"`
}

// SLOResult is one objective's verdict.
type SLOResult struct {
	Expression string `json:"expression"`
	// Value is the measurement in the objective's base unit (seconds,
	// fraction, per second); nil (null) when there was nothing to measure.
	Value   *float64 `json:"value"`
	Text    string   `json:"text"` // Value in the expression's unit: "412ms"
	Pass    bool     `json:"pass"`
	Missing string   `json:"missing"` // why nothing was measured, or ""
}

// BreakpointResult is the outcome of a breakpoint test.
type BreakpointResult struct {
	Rate   float64 `json:"rate"` // per second
	Reason string  `json:"reason"`
}

// PhaseTime is one lifecycle phase and its duration.
type PhaseTime struct {
	Name     string  `json:"name"`
	Duration float64 `json:"duration_s"`
}

// WriteJSON writes r as summary.json (indented, one trailing newline).
func WriteJSON(w io.Writer, r *Run) error {
	if r == nil {
		return errors.New("write summary.json: no run")
	}
	b, err := json.MarshalIndent(Summarize(r), "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary.json: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write summary.json: %w", err)
	}
	return nil
}

// ReadJSON reads a summary.json written by WriteJSON of this or an older
// compatible version. A summary without a schema version, or of a newer
// version than SchemaVersion, is an error: its fields may not mean what
// this version thinks.
func ReadJSON(r io.Reader) (*Summary, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read summary.json: %w", err)
	}
	// Look at the version alone first, so that a newer schema is reported
	// as such rather than as whatever field no longer decodes.
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("read summary.json: %w", err)
	}
	switch {
	case head.Schema == nil:
		return nil, errors.New("read summary.json: no \"schema\" field: not a Mayfly summary")
	case *head.Schema > SchemaVersion:
		return nil, fmt.Errorf("read summary.json: schema version %d is newer than this mayfly reads (%d): upgrade mayfly", *head.Schema, SchemaVersion)
	case *head.Schema < 1:
		return nil, fmt.Errorf("read summary.json: unknown schema version %d", *head.Schema)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read summary.json (schema %d): %w", *head.Schema, err)
	}
	switch s.Verdict {
	case VerdictPass, VerdictFail, VerdictAborted, VerdictGeneratorBound:
	default:
		return nil, fmt.Errorf("read summary.json: unknown verdict %q", s.Verdict)
	}
	return &s, nil
}

// Summarize computes the Summary of r: what WriteJSON writes.
func Summarize(r *Run) *Summary {
	s := &Summary{
		Schema:               SchemaVersion,
		Name:                 r.Name,
		Started:              r.Started,
		Duration:             seconds(r.Duration),
		Seed:                 r.Seed,
		Verdict:              r.Verdict(),
		GeneratorBound:       r.GeneratorBound != "",
		GeneratorBoundReason: r.GeneratorBound,
		Aborted:              r.Aborted,
		Total:                stats(r.Total(), r.Duration),
		// Empty lists, not null: consumers can range without checks.
		Requests:  []RequestStats{},
		Scenarios: []ScenarioCount{},
		SLOs:      []SLOResult{},
		Phases:    []PhaseTime{},
	}
	s.Total.Dropped = r.dropped()
	if r.Breakpoint != nil {
		s.Breakpoint = &BreakpointResult{Rate: finite(r.Breakpoint.Rate), Reason: r.Breakpoint.Reason}
	}
	for _, st := range r.Requests {
		s.Requests = append(s.Requests, RequestStats{Scenario: st.Scenario, Name: st.Name, Stats: stats(st.Metrics, r.Duration)})
	}
	for _, sc := range r.Scenarios {
		s.Scenarios = append(s.Scenarios, ScenarioCount{Name: sc.Name, Executor: sc.Executor, Iterations: sc.Iterations, Dropped: sc.Dropped})
	}
	for _, res := range r.SLOs {
		s.SLOs = append(s.SLOs, sloResult(res))
	}
	for _, p := range r.Phases {
		s.Phases = append(s.Phases, PhaseTime{Name: p.Name, Duration: seconds(p.Duration)})
	}
	return s
}

func sloResult(res slo.Result) SLOResult {
	out := SLOResult{Text: res.Text, Pass: res.Pass, Missing: res.Missing}
	if res.Objective != nil {
		out.Expression = res.Objective.Expr
	}
	// JSON has no NaN or infinity; and a missing measurement has no value.
	if res.Missing == "" && !math.IsNaN(res.Value) && !math.IsInf(res.Value, 0) {
		v := res.Value
		out.Value = &v
	}
	return out
}

// stats summarises m over a load phase of length d (for the rate).
func stats(m *load.Metrics, d time.Duration) Stats {
	if m == nil {
		m = load.NewMetrics()
	}
	s := Stats{
		Count:        m.Requests,
		Errors:       m.Errors,
		ErrorRate:    round(m.ErrorRate(), 6),
		Late:         m.Late,
		ErrorsByKind: map[string]int64{},
		Status: StatusCounts{
			None: m.Status[0], S1xx: m.Status[1], S2xx: m.Status[2],
			S3xx: m.Status[3], S4xx: m.Status[4], S5xx: m.Status[5],
		},
		BytesIn:     m.BytesIn,
		BytesOut:    m.BytesOut,
		Latency:     latency(m.Latency),
		ServiceTime: latency(m.ServiceTime),
	}
	if m.Lag != nil {
		s.Lag = Lag{P99: millis(m.Lag.Quantile(99)), Max: millis(m.Lag.Max())}
	}
	if d > 0 {
		s.RPS = round(float64(m.Requests)/d.Seconds(), 3)
	}
	for _, k := range load.ErrorKinds() {
		if n := m.Kind(k); n != 0 {
			s.ErrorsByKind[k.String()] = n
		}
	}
	return s
}

// latency summarises h; a nil histogram (Metrics built without
// load.NewMetrics) is empty.
func latency(h *hist.Histogram) Latency {
	if h == nil {
		return Latency{}
	}
	return Latency{
		P50:  millis(h.Quantile(50)),
		P90:  millis(h.Quantile(90)),
		P95:  millis(h.Quantile(95)),
		P99:  millis(h.Quantile(99)),
		P999: millis(h.Quantile(99.9)),
		Max:  millis(h.Max()),
		Mean: millis(h.Mean()),
		Min:  millis(h.Min()),
	}
}

// millis is d in milliseconds, rounded to the microsecond.
func millis(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// seconds is d in seconds, rounded to the millisecond.
func seconds(d time.Duration) float64 { return math.Round(float64(d)/1e6) / 1e3 }

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return finite(math.Round(x*p) / p)
}

// finite replaces what JSON cannot encode (NaN, ±Inf) by 0.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
