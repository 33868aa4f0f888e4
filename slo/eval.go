package slo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
	"github.com/mayfly-perf/mayfly/load"
)

// Second is what the engine measured in one second of a run.
type Second struct {
	T        int                        // seconds since the start of the run
	Requests map[load.Key]*load.Metrics // hits of the second, by scenario and request name
	Dropped  map[string]int64           // iterations dropped in the second, by scenario
}

// Evaluator judges objectives as a run goes and at its end.
//
// Objectives that differ only in stat, comparison or threshold share one
// series: an aggregate of their metric over their selector and window.
// Memory is bounded: a series keeps a whole-run aggregate and, if
// windowed, a running window aggregate plus the window's seconds. Each
// second costs a windowed series O(1) histogram operations, whatever the
// window's length: the newest second is merged into the window and the one
// leaving it is subtracted.
//
// An Evaluator is not safe for concurrent use.
type Evaluator struct {
	judges        []*judge
	series        []*series
	seen          int // seconds observed
	firstT, lastT int
}

// rawWindowMax is the longest window, in seconds, whose seconds are kept
// as histograms (~190 KB each: a 1-minute window holds 11 MB). Longer
// windows keep them compressed (hist.MarshalText, typically under 1 KB),
// which costs a compression and a decompression per second.
var rawWindowMax = 60

// series aggregates one metric over one selector and window.
type series struct {
	m      *metric
	labels map[string]string
	win    int      // window, seconds; 0: the whole run only
	judges []*judge // the objectives reading it

	// total is the whole run. A windowed series keeps its counters only:
	// until the window is full, the window's histogram is the whole run's,
	// and after that only windows are judged.
	total sample

	// Windowed series only.
	ring    []stored        // the window's seconds; ring[n%win] is the oldest once full
	window  sample          // aggregate of ring
	scratch *hist.Histogram // the newest second, before compression (compressed ring)
	leaving *hist.Histogram // the oldest second, decompressed (compressed ring)
	n       int             // seconds pushed
}

// judge is the state of one objective.
type judge struct {
	obj  *Objective
	s    *series
	stat func(*hist.Histogram) time.Duration // duration metrics
	bad  string                              // why obj cannot be evaluated; "" if it can

	last  measure // the latest full window
	worst measure // the worst full window so far
}

// sample aggregates what a metric's selector matched over some seconds.
type sample struct {
	hist     *hist.Histogram // duration metrics only
	num, den int64
	matched  int64 // hits (scenario-seconds for dropped) the selector matched
}

// stored is one second of a window, kept until it leaves the window.
type stored struct {
	hist          *hist.Histogram // raw ring: the second's histogram, reused
	enc           []byte          // compressed ring: hist.MarshalText; nil when empty
	num, den, hit int64
}

// measure is a metric's value over the seconds [from, to].
type measure struct {
	value    float64
	ok       bool // false: nothing to measure (no timed hits, no requests for a ratio)
	from, to int
}

// NewEvaluator returns an evaluator of objs. Objectives that Parse would
// reject (an unknown metric or label, a missing stat) are not evaluated:
// their Result says why in Missing.
func NewEvaluator(objs []*Objective) *Evaluator {
	e := &Evaluator{}
	byKey := map[string]*series{}
	for _, o := range objs {
		j := newJudge(o)
		e.judges = append(e.judges, j)
		if j.bad != "" {
			continue
		}
		win := 0
		if o.Window > 0 {
			win = int(min((o.Window+time.Second-1)/time.Second, maxWindow/time.Second))
		}
		key := fmt.Sprintf("%s%s %d", o.Metric, selectorString(o.Labels), win)
		s := byKey[key]
		if s == nil {
			s = newSeries(metrics[o.Metric], o.Labels, win)
			byKey[key] = s
			e.series = append(e.series, s)
		}
		j.s = s
		s.judges = append(s.judges, j)
	}
	return e
}

func newJudge(o *Objective) *judge {
	j := &judge{obj: o}
	if o == nil {
		j.bad = "no objective"
		return j
	}
	m, ok := metrics[o.Metric]
	if !ok {
		j.bad = unknownMetric(o.Metric)
		return j
	}
	for l := range o.Labels {
		if !contains(m.labels, l) {
			j.bad = fmt.Sprintf("unknown label %s for %s", quote(l), m.name)
			return j
		}
	}
	if _, ok := opFuncs[o.Op]; !ok {
		j.bad = "unknown comparison " + quote(o.Op)
		return j
	}
	if m.kind == duration {
		if j.stat = statFunc(o.Stat); j.stat == nil {
			j.bad = fmt.Sprintf("%s needs a statistic: p50, p95, p99, p99.9, avg, min or max (got %s)", m.name, quote(o.Stat))
		}
	}
	return j
}

func newSeries(m *metric, labels map[string]string, win int) *series {
	s := &series{m: m, labels: labels, win: win}
	if m.kind != duration {
		return s
	}
	if win == 0 {
		s.total.hist = hist.New()
		return s
	}
	s.window.hist = hist.New()
	if win > rawWindowMax {
		s.scratch, s.leaving = hist.New(), hist.New()
	}
	return s
}

// statFunc returns how a canonical stat reads a histogram; nil if stat is
// not one.
func statFunc(stat string) func(*hist.Histogram) time.Duration {
	switch stat {
	case "avg", "mean":
		return (*hist.Histogram).Mean
	case "min":
		return (*hist.Histogram).Min
	case "max":
		return (*hist.Histogram).Max
	}
	if q, ok := percentile(stat); ok {
		return func(h *hist.Histogram) time.Duration { return h.Quantile(q) }
	}
	return nil
}

// Observe adds one second of the run. Call it once per second, in order of
// T; a T not after the previous one is taken as the next second, and
// seconds skipped between two calls count as seconds without hits. Observe
// keeps nothing of s: the engine may reuse its maps and Metrics.
func (e *Evaluator) Observe(s Second) {
	if e.seen == 0 {
		e.firstT = s.T
	} else if s.T <= e.lastT {
		s.T = e.lastT + 1
	}
	gap := 0
	if e.seen > 0 {
		gap = s.T - e.lastT - 1
	}
	for _, ser := range e.series {
		// Windows slide over the empty seconds too; once a whole window of
		// them has passed, more change nothing.
		for i := 0; i < min(gap, ser.win); i++ {
			ser.observe(s.T-gap+i, nil)
		}
		if ser.win > 0 && gap > ser.win {
			ser.n += gap - ser.win // keeps ring[n%win] the oldest; all are empty
		}
		ser.observe(s.T, &s)
	}
	e.seen++
	e.lastT = s.T
}

// observe adds second t (nil sec: a second without hits).
func (s *series) observe(t int, sec *Second) {
	if s.win == 0 {
		if sec != nil {
			s.m.collect(sec, s.labels, &s.total)
		}
		return
	}

	if len(s.ring) < s.win {
		s.ring = append(s.ring, stored{})
	}
	slot := &s.ring[s.n%s.win]
	if s.n >= s.win { // slot holds the second leaving the window
		s.window.num -= slot.num
		s.window.den -= slot.den
		s.window.matched -= slot.hit
		switch {
		case slot.hist != nil:
			s.window.hist.Subtract(slot.hist)
		case slot.enc != nil:
			if err := s.leaving.UnmarshalText(slot.enc); err == nil {
				s.window.hist.Subtract(s.leaving)
			}
		}
	}

	cur := sample{}
	if s.m.kind == duration {
		if s.scratch != nil {
			cur.hist = s.scratch
		} else {
			if slot.hist == nil {
				slot.hist = hist.New()
			}
			cur.hist = slot.hist
		}
		cur.hist.Reset()
	}
	if sec != nil {
		s.m.collect(sec, s.labels, &cur)
	}
	slot.num, slot.den, slot.hit, slot.enc = cur.num, cur.den, cur.matched, nil
	if s.scratch != nil {
		slot.hist = nil
		if cur.hist.Count() > 0 {
			if enc, err := cur.hist.MarshalText(); err == nil {
				slot.enc = enc
			} else {
				slot.hist = cur.hist.Clone() // cannot happen; keep it raw then
			}
		}
	}
	s.window.add(&cur)
	cur.hist = nil // the whole run's histogram is the window's until it is full
	s.total.add(&cur)
	s.n++

	if s.n < s.win {
		return
	}
	for _, j := range s.judges {
		v, ok := j.value(&s.window, s.win)
		j.last = measure{value: v, ok: ok, from: t - s.win + 1, to: t}
		if ok && (!j.worst.ok || j.worse(v, j.worst.value)) {
			j.worst = j.last
		}
	}
}

func (a *sample) add(b *sample) {
	a.num += b.num
	a.den += b.den
	a.matched += b.matched
	if a.hist != nil && b.hist != nil {
		a.hist.Merge(b.hist)
	}
}

// value is the metric over an aggregate of the given number of seconds.
func (j *judge) value(a *sample, seconds int) (float64, bool) {
	switch j.s.m.kind {
	case duration:
		if a.hist.Count() == 0 {
			return 0, false
		}
		return j.stat(a.hist).Seconds(), true
	case ratio:
		if a.den == 0 {
			return 0, false
		}
		return float64(a.num) / float64(a.den), true
	case rate:
		if seconds <= 0 {
			return 0, false
		}
		return float64(a.num) / float64(seconds), true
	}
	return float64(a.num), true
}

// worse reports whether value a is further from passing than b: larger for
// an upper bound, smaller for a lower bound; for == further from the
// threshold, for != closer to it.
func (j *judge) worse(a, b float64) bool {
	t := j.obj.Threshold
	switch j.obj.Op {
	case "<", "<=":
		return a > b
	case ">", ">=":
		return a < b
	case "==":
		return math.Abs(a-t) > math.Abs(b-t)
	}
	return math.Abs(a-t) < math.Abs(b-t)
}

// opFuncs judge a value against a threshold. Values within a relative
// 1e-9 of the threshold count as equal, so that 0.1% measured as 1/1000
// equals 0.1% written.
var opFuncs = map[string]func(v, t float64) bool{
	"<":  func(v, t float64) bool { return v < t && !near(v, t) },
	"<=": func(v, t float64) bool { return v < t || near(v, t) },
	">":  func(v, t float64) bool { return v > t && !near(v, t) },
	">=": func(v, t float64) bool { return v > t || near(v, t) },
	"==": near,
	"!=": func(v, t float64) bool { return !near(v, t) },
}

func near(v, t float64) bool {
	return v == t || math.Abs(v-t) <= 1e-9*math.Max(math.Abs(v), math.Abs(t))
}

// span is the number of seconds observed so far, gaps included.
func (e *Evaluator) span() int {
	if e.seen == 0 {
		return 0
	}
	return e.lastT - e.firstT + 1
}

// Failing returns the objectives failing now, in the order given to
// NewEvaluator: whole-run objectives over the seconds observed so far,
// windowed ones over the latest full window. An objective with nothing to
// measure yet (no matching hits, or a window not yet full) is not failing.
func (e *Evaluator) Failing() []Result {
	var out []Result
	for _, j := range e.judges {
		if j.bad != "" {
			continue
		}
		m := j.last
		if j.s.win == 0 && j.s.total.matched > 0 {
			v, ok := j.value(&j.s.total, e.span())
			m = measure{value: v, ok: ok, from: e.firstT, to: e.lastT}
		}
		if !m.ok {
			continue
		}
		if r := j.result(m); !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

// Results returns the final verdicts, in the order given to NewEvaluator:
// whole-run objectives over everything observed, windowed ones over their
// worst full window (over the whole run when it was shorter than the
// window). An objective that matched nothing fails with Missing set.
func (e *Evaluator) Results() []Result {
	out := make([]Result, 0, len(e.judges))
	for _, j := range e.judges {
		var m measure
		s := j.s
		switch {
		case j.bad != "":
			out = append(out, Result{Objective: j.obj, Missing: j.bad})
			continue
		case s.total.matched == 0:
			out = append(out, Result{Objective: j.obj, Missing: j.missing(s.m.noun)})
			continue
		case s.win == 0:
			v, ok := j.value(&s.total, e.span())
			m = measure{value: v, ok: ok, from: e.firstT, to: e.lastT}
		case s.n < s.win:
			// A run shorter than the window: the window holds all of it.
			v, ok := j.value(&s.window, e.span())
			m = measure{value: v, ok: ok, from: e.firstT, to: e.lastT}
		default:
			m = j.worst
		}
		if !m.ok {
			// Hits matched, but none could be measured: untimed hits only.
			out = append(out, Result{Objective: j.obj, Missing: j.missing("timed " + s.m.noun)})
			continue
		}
		out = append(out, j.result(m))
	}
	return out
}

func (j *judge) missing(noun string) string {
	if len(j.obj.Labels) == 0 {
		return "no " + noun + " observed"
	}
	return "no " + noun + " matched " + selectorString(j.obj.Labels)
}

func (j *judge) result(m measure) Result {
	return Result{
		Objective: j.obj,
		Value:     m.value,
		Pass:      opFuncs[j.obj.Op](m.value, j.obj.Threshold),
		Text:      formatValue(m.value, j.s.m.kind, j.obj.Unit),
		From:      m.from,
		To:        m.to,
	}
}

// formatValue writes v (in base units) with three significant digits:
// "1.23s", "412ms", "0.42%", "101/s". Durations take the unit that reads
// best (a person compares 1.89ms with 1s more easily than 0.00189s with
// it); rates and ratios keep the unit of the expression; counts are
// written exactly.
func formatValue(v float64, k kind, unit string) string {
	if k == count {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if k == duration {
		return formatSeconds(v)
	}
	unit, scale := unitOf(k, unit)
	return significant(v/scale, 3) + unit
}

// formatSeconds writes a duration given in seconds in s, ms, µs or ns.
func formatSeconds(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0s"
	case a >= 1:
		return significant(v, 3) + "s"
	case a >= 1e-3:
		return significant(v*1e3, 3) + "ms"
	case a >= 1e-6:
		return significant(v*1e6, 3) + "µs"
	}
	return significant(v*1e9, 3) + "ns"
}

// significant writes x rounded to n significant digits, trailing zeros
// dropped, never in exponent form (12345 with 3 digits is 12300).
func significant(x float64, n int) string {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	// Round first: 9.996 has one integer digit, but three significant
	// digits of it (10.0) have two.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'e', n-1, 64), 64)
	decimals := max(0, n-1-int(math.Floor(math.Log10(math.Abs(r)))))
	s := strconv.FormatFloat(r, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
