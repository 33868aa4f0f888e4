package slo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
	"github.com/mayfly-perf/mayfly/load"
)

const lateAfter = 100 * time.Millisecond

// hits describes n synthetic hits of one request stream in one second.
type hits struct {
	scenario, name string
	n              int
	latency        time.Duration // due → done
	lag            time.Duration // due → sent; beyond lateAfter the hit is late
	kind           load.ErrorKind
}

// second builds the engine's per-second metrics from synthetic hits.
func second(t int, hs ...hits) Second {
	s := Second{T: t, Requests: map[load.Key]*load.Metrics{}}
	base := time.Unix(1_700_000_000, 0).Add(time.Duration(t) * time.Second)
	for _, h := range hs {
		k := load.Key{Scenario: h.scenario, Name: h.name}
		m := s.Requests[k]
		if m == nil {
			m = load.NewMetrics()
			s.Requests[k] = m
		}
		for range h.n {
			m.Add(&load.Hit{
				Scenario: h.scenario, Name: h.name, Kind: h.kind,
				Intended: base, Sent: base.Add(h.lag), Done: base.Add(h.latency),
			}, lateAfter)
		}
	}
	return s
}

func mustParse(t testing.TB, exprs ...string) []*Objective {
	t.Helper()
	var objs []*Objective
	for _, e := range exprs {
		o, err := Parse(e)
		if err != nil {
			t.Fatalf("Parse(%q): %v", e, err)
		}
		objs = append(objs, o)
	}
	return objs
}

// bothRings runs f with windows keeping their seconds as histograms and
// again with them compressed.
func bothRings(t *testing.T, f func(t *testing.T)) {
	defer func(old int) { rawWindowMax = old }(rawWindowMax)
	for _, raw := range []int{60, 0} {
		rawWindowMax = raw
		name := "raw"
		if raw == 0 {
			name = "compressed"
		}
		t.Run(name, f)
	}
}

type want struct {
	text     string // Result.Text, or Result.Missing when pass is false and text starts with "missing: "
	pass     bool
	from, to int
}

func check(t *testing.T, rs []Result, objs []*Objective, wants []want) {
	t.Helper()
	if len(rs) != len(wants) {
		t.Fatalf("%d results, want %d", len(rs), len(wants))
	}
	for i, r := range rs {
		w := wants[i]
		if r.Objective != objs[i] {
			t.Errorf("result %d is of %v, want %v", i, r.Objective, objs[i])
		}
		got := r.Text
		if r.Missing != "" {
			got = "missing: " + r.Missing
		}
		if got != w.text || r.Pass != w.pass || r.From != w.from || r.To != w.to {
			t.Errorf("%s: got %q pass=%v [%d,%d], want %q pass=%v [%d,%d]",
				objs[i], got, r.Pass, r.From, r.To, w.text, w.pass, w.from, w.to)
		}
		if r.Missing != "" && r.Pass {
			t.Errorf("%s: passes with Missing %q", objs[i], r.Missing)
		}
	}
}

// A run of 10 seconds over two scenarios; whole-run objectives.
func TestWholeRun(t *testing.T) {
	objs := mustParse(t,
		`latency p50 < 20ms`, // merged: 900 hits at 10ms, 100 at 500ms
		`latency p95 < 200ms`,
		`latency p99.9 <= 501ms`, // HDR reports 500ms as the top of its bucket, 500.1ms
		`latency max < 1s`,
		`latency avg < 100ms`, // (900×10 + 100×500)/1000 = 59ms
		`latency min >= 10ms`,
		`latency{request=create} p50 < 20ms`, // only the slow ones
		`latency{scenario=browse} max < 20ms`,
		`service_time{request=create} p95 < 100ms`, // latency 500ms, lag 450ms
		`errors < 1%`,                              // 50 of 1000 hits
		`errors{request=list} == 0%`,
		`checks >= 99%`, // 20 of 1000 fail a check
		`late < 5%`,     // 100 of 1000 sent late
		`rate >= 100/s`, // 1000 hits over 10 s
		`rate{scenario=browse} > 6000/m`,
		`requests == 1000`,
		`requests{request=create} != 100`,
		`dropped == 0`,
		`dropped{scenario=shop} > 3`,
		`latency{request=login} p95 < 2s`,
		`dropped{scenario=nope} == 0`,
		`errors{scenario=browse,request=create} < 1%`,
	)
	e := NewEvaluator(objs)
	for ti := range 10 {
		s := second(ti,
			hits{"browse", "list", 80, 10 * time.Millisecond, 0, load.OK},
			hits{"browse", "list", 5, 10 * time.Millisecond, 0, load.Status},
			hits{"browse", "list", 2, 10 * time.Millisecond, 0, load.Check},
			hits{"browse", "list", 3, 10 * time.Millisecond, 0, load.OK},
			hits{"shop", "create", 10, 500 * time.Millisecond, 450 * time.Millisecond, load.OK},
		)
		s.Dropped = map[string]int64{"shop": int64(ti % 2)} // 5 in all
		e.Observe(s)
	}
	check(t, e.Results(), objs, []want{
		{"10ms", true, 0, 9},
		{"500ms", false, 0, 9},
		{"500ms", true, 0, 9},
		{"500ms", true, 0, 9},
		{"59ms", true, 0, 9},
		{"10ms", true, 0, 9},
		{"500ms", false, 0, 9},
		{"10ms", true, 0, 9},
		{"50ms", true, 0, 9},
		{"7%", false, 0, 9},
		{"7.78%", false, 0, 9}, // 70 of 900
		{"98%", false, 0, 9},
		{"10%", false, 0, 9},
		{"100/s", true, 0, 9},
		{"5400/m", false, 0, 9},
		{"1000", true, 0, 9},
		{"100", false, 0, 9},
		{"5", false, 0, 9},
		{"5", true, 0, 9},
		{"missing: no requests matched {request=login}", false, 0, 0},
		{"missing: no scenarios matched {scenario=nope}", false, 0, 0},
		{"missing: no requests matched {request=create,scenario=browse}", false, 0, 0},
	})
	if f := e.Failing(); len(f) != 9 {
		var names []string
		for _, r := range f {
			names = append(names, r.Objective.String())
		}
		t.Errorf("Failing() = %d objectives, want the 9 failing with data:\n%s", len(f), strings.Join(names, "\n"))
	}
}

// Percentiles come from merged histograms: p50 of a second of 10 fast hits
// and one of 1000 slow ones is the slow value, not the average of the two
// seconds' medians.
func TestPercentilesAreMerged(t *testing.T) {
	objs := mustParse(t, `latency p50 < 1s`)
	e := NewEvaluator(objs)
	e.Observe(second(0, hits{"s", "r", 10, time.Millisecond, 0, load.OK}))
	e.Observe(second(1, hits{"s", "r", 1000, 800 * time.Millisecond, 0, load.OK}))
	r := e.Results()[0]
	if math.Abs(r.Value-0.8) > 0.001 {
		t.Errorf("p50 = %v, want 0.8 (an average of medians would be 0.4)", r.Value)
	}
}

func TestNoData(t *testing.T) {
	objs := mustParse(t, `latency p95 < 2s`, `dropped == 0`, `rate > 1/s`, `errors < 1%`)
	e := NewEvaluator(objs)
	if f := e.Failing(); len(f) != 0 {
		t.Errorf("Failing() before any data = %v", f)
	}
	check(t, e.Results(), objs, []want{
		{"missing: no requests observed", false, 0, 0},
		{"missing: no scenarios observed", false, 0, 0},
		{"missing: no requests observed", false, 0, 0},
		{"missing: no requests observed", false, 0, 0},
	})

	// Hits that were never sent (Kind Script) have no timing.
	e = NewEvaluator(objs)
	e.Observe(second(0, hits{"s", "r", 3, 0, 0, load.Script}))
	check(t, e.Results(), objs, []want{
		{"missing: no timed requests observed", false, 0, 0},
		{"0", true, 0, 0},
		{"3/s", true, 0, 0},
		{"100%", false, 0, 0},
	})
}

// Windowed objectives: the worst full window, sliding by a second.
func TestWindows(t *testing.T) {
	bothRings(t, func(t *testing.T) {
		objs := mustParse(t,
			`latency p99 over 3s < 100ms`,
			`latency max over 3s < 1s`,
			`errors over 2s < 10%`,
			`rate over 3s >= 10/s`,
			`requests over 3s <= 50`,
			`latency p99 over 1m < 100ms`, // longer than the run: judged over all of it
			`errors{request=nope} over 2s < 1%`,
			`latency p50 over 3s == 10ms`, // the worst window is the one furthest off
			`errors over 1s != 0%`,        // the worst window is the one closest
		)
		e := NewEvaluator(objs)
		// t:      0   1   2   3   4   5   6   7   8   9
		// hits:  10  10  10  40  10  10   0  10  10  10
		// slow:   -   -   -  yes  -   -   -   -   -   -   (t=3: 40 hits at 900ms)
		// errors: 0   0   0   0   5   5   0   0   0   0
		for ti := range 10 {
			var hs []hits
			switch ti {
			case 3:
				hs = append(hs, hits{"s", "r", 40, 900 * time.Millisecond, 0, load.OK})
			case 4, 5:
				hs = append(hs, hits{"s", "r", 5, 10 * time.Millisecond, 0, load.OK},
					hits{"s", "r", 5, 10 * time.Millisecond, 0, load.Timeout})
			case 6:
			default:
				hs = append(hs, hits{"s", "r", 10, 10 * time.Millisecond, 0, load.OK})
			}
			e.Observe(second(ti, hs...))

			// Failing() follows the latest window.
			failing := map[string]bool{}
			for _, r := range e.Failing() {
				failing[r.Objective.String()] = true
			}
			if got, want := failing[`latency p99 over 3s < 100ms`], ti >= 3 && ti <= 5; got != want {
				t.Errorf("t=%d: latency window failing = %v, want %v", ti, got, want)
			}
			if got, want := failing[`errors over 2s < 10%`], ti >= 4 && ti <= 6; got != want {
				t.Errorf("t=%d: errors window failing = %v, want %v", ti, got, want)
			}
			if got, want := failing[`latency p99 over 1m < 100ms`], false; got != want {
				t.Errorf("t=%d: a window longer than the run so far failing = %v", ti, got)
			}
		}
		check(t, e.Results(), objs, []want{
			{"900ms", false, 1, 3}, // the first window with the slow second
			{"900ms", true, 1, 3},
			{"50%", false, 4, 5},
			{"6.67/s", false, 4, 6}, // 20 hits in 3 s; [5,7] too, the first counts
			{"60", false, 1, 3},
			{"900ms", false, 0, 9},
			{"missing: no requests matched {request=nope}", false, 0, 0},
			{"900ms", false, 1, 3},
			{"0%", false, 0, 0},
		})
	})
}

// Seconds skipped between two calls are seconds without hits: a rate window
// over them is 0.
func TestGaps(t *testing.T) {
	bothRings(t, func(t *testing.T) {
		objs := mustParse(t, `rate over 2s >= 5/s`, `rate >= 5/s`, `latency max over 2s < 1s`)
		e := NewEvaluator(objs)
		e.Observe(second(0, hits{"s", "r", 10, time.Millisecond, 0, load.OK}))
		e.Observe(second(1, hits{"s", "r", 10, time.Millisecond, 0, load.OK}))
		e.Observe(second(100, hits{"s", "r", 10, 2 * time.Second, 0, load.OK}))
		e.Observe(second(101, hits{"s", "r", 10, time.Millisecond, 0, load.OK}))
		check(t, e.Results(), objs, []want{
			{"0/s", false, 2, 3},
			{"0.392/s", false, 0, 101}, // 40 hits over 102 s
			{"2s", false, 99, 100},
		})
		// A T that does not advance is taken as the next second.
		e.Observe(second(5, hits{"s", "r", 10, time.Millisecond, 0, load.OK}))
		if r := e.Results()[1]; r.To != 102 {
			t.Errorf("after an out-of-order second the run ends at %d, want 102", r.To)
		}
	})
}

// Observe keeps nothing of the engine's maps: the engine resets and reuses
// them for the next second.
func TestObserveDoesNotRetain(t *testing.T) {
	bothRings(t, func(t *testing.T) {
		objs := mustParse(t, `latency max over 2s < 1s`, `latency max < 1s`, `errors over 2s < 50%`)
		e := NewEvaluator(objs)
		s := second(0, hits{"s", "r", 10, 2 * time.Second, 0, load.Timeout})
		e.Observe(s)
		for ti := 1; ti < 5; ti++ {
			for _, m := range s.Requests {
				m.Reset()
				m.Add(&load.Hit{Intended: time.Unix(0, 0), Sent: time.Unix(0, 0), Done: time.Unix(0, int64(time.Millisecond))}, 0)
			}
			s.T = ti
			e.Observe(s)
		}
		check(t, e.Results(), objs, []want{
			{"2s", false, 0, 1},
			{"2s", false, 0, 4},
			{"90.9%", false, 0, 1}, // 10 of 11
		})
	})
}

// The running window aggregate gives what merging the window's seconds
// afresh gives, for every window of a random run.
func TestWindowMatchesBruteForce(t *testing.T) {
	bothRings(t, func(t *testing.T) {
		const seconds, win = 80, 10
		rng := rand.New(rand.NewPCG(1, 2))
		var secs []Second
		for ti := range seconds {
			var hs []hits
			for _, name := range []string{"a", "b", "c"} {
				if rng.IntN(4) == 0 {
					continue // some seconds without this stream
				}
				hs = append(hs, hits{"s", name, 1 + rng.IntN(50),
					time.Duration(rng.ExpFloat64() * float64(30*time.Millisecond)), 0, load.ErrorKind(rng.IntN(2))})
			}
			secs = append(secs, second(ti, hs...))
		}
		for _, expr := range []string{
			`latency p99 over 10s < 1ms`, `latency p50 over 10s > 1h`, `latency max over 10s < 1ms`,
			`latency min over 10s > 1h`, `latency avg over 10s < 1ms`, `errors{request=a} over 10s < 0%`,
		} {
			objs := mustParse(t, expr)
			e := NewEvaluator(objs)
			worst, from := math.NaN(), 0
			for ti, s := range secs {
				e.Observe(s)
				if ti < win-1 {
					continue
				}
				// Brute force: merge the window's seconds.
				h, num, den := hist.New(), int64(0), int64(0)
				for _, w := range secs[ti-win+1 : ti+1] {
					if m := w.Requests[load.Key{Scenario: "s", Name: "a"}]; m != nil {
						num, den = num+m.Errors, den+m.Requests
					}
					for _, m := range w.Requests {
						h.Merge(m.Latency)
					}
				}
				var v float64
				switch objs[0].Metric + " " + objs[0].Stat {
				case "latency p99":
					v = h.Quantile(99).Seconds()
				case "latency p50":
					v = h.Quantile(50).Seconds()
				case "latency max":
					v = h.Max().Seconds()
				case "latency min":
					v = h.Min().Seconds()
				case "latency avg":
					v = h.Mean().Seconds()
				default:
					v = float64(num) / float64(den)
				}
				upper := objs[0].Op == "<"
				if math.IsNaN(worst) || (upper && v > worst) || (!upper && v < worst) {
					worst, from = v, ti-win+1
				}
				if f := e.Failing(); len(f) != 1 || f[0].Value != v {
					t.Fatalf("%s at t=%d: Failing() = %+v, want the window's value %v", expr, ti, f, v)
				}
			}
			r := e.Results()[0]
			if r.Value != worst || r.From != from || r.To != from+win-1 {
				t.Errorf("%s: worst window %v [%d,%d], want %v [%d,%d]", expr, r.Value, r.From, r.To, worst, from, from+win-1)
			}
		}
	})
}

// Hand-built objectives Parse would reject are reported, not evaluated.
func TestInvalidObjectives(t *testing.T) {
	objs := []*Objective{
		nil,
		{Metric: "cpu", Op: "<"},
		{Metric: "latency", Op: "<", Stat: "p101"},
		{Metric: "errors", Op: "=~"},
		{Metric: "rate", Op: ">", Labels: map[string]string{"host": "x"}},
		{Metric: "latency", Stat: "p90", Op: "<", Threshold: 1}, // fine: no Unit prints seconds
	}
	e := NewEvaluator(objs)
	e.Observe(second(0, hits{"s", "r", 10, 20 * time.Millisecond, 0, load.OK}))
	check(t, e.Results(), objs, []want{
		{"missing: no objective", false, 0, 0},
		{"missing: unknown metric \"cpu\" (known: checks, dropped, errors, late, latency, rate, requests, service_time)", false, 0, 0},
		{"missing: latency needs a statistic: p50, p95, p99, p99.9, avg, min or max (got \"p101\")", false, 0, 0},
		{"missing: unknown comparison \"=~\"", false, 0, 0},
		{"missing: unknown label \"host\" for rate", false, 0, 0},
		{"20ms", true, 0, 0},
	})
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		k    kind
		unit string
		want string
	}{
		{1.234, duration, "s", "1.23s"},
		{0.4123, duration, "ms", "412ms"},
		{0.4123, duration, "s", "412ms"},
		{9.996, duration, "s", "10s"},
		{0.0000123, duration, "µs", "12.3µs"},
		{90, duration, "m", "90s"},
		{0, duration, "ms", "0s"},
		{0.0042, ratio, "%", "0.42%"},
		{1, ratio, "%", "100%"},
		{1.0 / 3, ratio, "%", "33.3%"},
		{101.2, rate, "/s", "101/s"},
		{12345.6, rate, "/s", "12300/s"},
		{100, rate, "/m", "6000/m"},
		{0.000123456, rate, "/s", "0.000123/s"},
		{0, count, "", "0"},
		{123456, count, "", "123456"},
	} {
		if got := formatValue(tc.v, tc.k, tc.unit); got != tc.want {
			t.Errorf("formatValue(%v, %v, %q) = %q, want %q", tc.v, tc.k, tc.unit, got, tc.want)
		}
	}
}

// BenchmarkObserve: one objective with a 1-minute window over 5 request
// streams, for a run of an hour. An op is one Observe (one second).
func BenchmarkObserve(b *testing.B) {
	objs := mustParse(b, `latency p99 over 1m < 500ms`)
	// A few distinct seconds, reused: each holds 5 × 3 histograms.
	rng := rand.New(rand.NewPCG(3, 4))
	var secs []Second
	for ti := range 8 {
		var hs []hits
		for k := range 5 {
			for range 20 {
				hs = append(hs, hits{"s", string(rune('a' + k)), 5,
					time.Duration(rng.ExpFloat64() * float64(50*time.Millisecond)), 0, load.OK})
			}
		}
		secs = append(secs, second(ti, hs...))
	}
	defer func(old int) { rawWindowMax = old }(rawWindowMax)
	for _, raw := range []int{60, 0} {
		rawWindowMax = raw
		name := "raw"
		if raw == 0 {
			name = "compressed"
		}
		b.Run(name, func(b *testing.B) {
			e := NewEvaluator(objs)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				t := i % 3600
				if t == 0 && i > 0 {
					b.StopTimer()
					e = NewEvaluator(objs)
					b.StartTimer()
				}
				s := secs[t%len(secs)]
				s.T = t
				e.Observe(s)
			}
			if len(e.Failing()) > 1 {
				b.Fatal("one objective, more than one failing")
			}
		})
	}
}
