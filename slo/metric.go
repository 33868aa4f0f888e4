package slo

import (
	"github.com/mayfly-perf/mayfly/suggest"
	"sort"
	"strings"

	"github.com/mayfly-perf/mayfly/hist"
	"github.com/mayfly-perf/mayfly/load"
)

// kind is how a metric is measured, written and printed.
type kind int

const (
	// duration: a distribution of durations, summarised by a stat; value in
	// seconds; threshold with a duration unit.
	duration kind = iota
	// ratio: num/den, written as a percentage; value a fraction.
	ratio
	// rate: num per second of the evaluated span; "/s" or "/m".
	rate
	// count: num over the evaluated span; no unit.
	count
)

// metric is one row of the metric table: what the language accepts and how
// one second of a run contributes to the metric's value.
type metric struct {
	name   string
	kind   kind
	labels []string // selector labels it accepts
	noun   string   // what Result.Missing says was not found: "requests"
	// collect adds what second s contributes for the selector labels into
	// acc (acc.hist is non-nil for duration metrics). It must not retain
	// anything of s.
	collect func(s *Second, labels map[string]string, acc *sample)
}

// metrics is the metric table. Probes' metrics (cpu{service=x} avg, memory,
// db.cache_hit) are added as rows, with a kind (and collect source) of
// their own where none of these fits.
var metrics = map[string]*metric{
	"latency": {
		kind: duration, labels: requestLabels, noun: "requests",
		collect: fromHistogram(func(m *load.Metrics) *hist.Histogram { return m.Latency }),
	},
	"service_time": {
		kind: duration, labels: requestLabels, noun: "requests",
		collect: fromHistogram(func(m *load.Metrics) *hist.Histogram { return m.ServiceTime }),
	},
	"rate": {
		kind: rate, labels: requestLabels, noun: "requests",
		collect: fromCounts(func(m *load.Metrics) (int64, int64) { return m.Requests, 0 }),
	},
	"errors": {
		kind: ratio, labels: requestLabels, noun: "requests",
		collect: fromCounts(func(m *load.Metrics) (int64, int64) { return m.Errors, m.Requests }),
	},
	"checks": {
		kind: ratio, labels: requestLabels, noun: "requests",
		collect: fromCounts(func(m *load.Metrics) (int64, int64) {
			return m.Requests - m.Kind(load.Check), m.Requests
		}),
	},
	"late": {
		kind: ratio, labels: requestLabels, noun: "requests",
		collect: fromCounts(func(m *load.Metrics) (int64, int64) { return m.Late, m.Requests }),
	},
	"requests": {
		kind: count, labels: requestLabels, noun: "requests",
		collect: fromCounts(func(m *load.Metrics) (int64, int64) { return m.Requests, 0 }),
	},
	"dropped": {
		kind: count, labels: []string{"scenario"}, noun: "scenarios",
		collect: collectDropped,
	},
}

// requestLabels select hits by load.Key.
var requestLabels = []string{"request", "scenario"}

// metricNames lists the table's names in a stable order, for messages.
var metricNames []string

func init() {
	for name, m := range metrics {
		m.name = name
		metricNames = append(metricNames, name)
	}
	sort.Strings(metricNames)
}

// matchKey reports whether a request stream is selected by labels:
// request= is Key.Name, scenario= is Key.Scenario.
func matchKey(labels map[string]string, k load.Key) bool {
	if v, ok := labels["request"]; ok && v != k.Name {
		return false
	}
	if v, ok := labels["scenario"]; ok && v != k.Scenario {
		return false
	}
	return true
}

// fromHistogram collects a duration metric: the matching streams' histograms
// merged. Every hit counts as matched, timed or not.
func fromHistogram(pick func(*load.Metrics) *hist.Histogram) func(*Second, map[string]string, *sample) {
	return func(s *Second, labels map[string]string, acc *sample) {
		for k, m := range s.Requests {
			if m == nil || !matchKey(labels, k) {
				continue
			}
			acc.matched += m.Requests
			if h := pick(m); h != nil {
				acc.hist.Merge(h)
			}
		}
	}
}

// fromCounts collects a counter metric: num and den summed over the
// matching streams.
func fromCounts(f func(*load.Metrics) (num, den int64)) func(*Second, map[string]string, *sample) {
	return func(s *Second, labels map[string]string, acc *sample) {
		for k, m := range s.Requests {
			if m == nil || !matchKey(labels, k) {
				continue
			}
			num, den := f(m)
			acc.num += num
			acc.den += den
			acc.matched += m.Requests
		}
	}
}

// collectDropped counts dropped iterations. A scenario counts as matched in
// every second it appears in, with drops or requests; without a selector
// every second matches, so "dropped == 0" holds for a run that dropped
// nothing.
func collectDropped(s *Second, labels map[string]string, acc *sample) {
	want, selective := labels["scenario"]
	if !selective {
		for _, n := range s.Dropped {
			acc.num += n
		}
		acc.matched++
		return
	}
	n, seen := s.Dropped[want]
	acc.num += n
	if !seen {
		for k := range s.Requests {
			if k.Scenario == want {
				seen = true
				break
			}
		}
	}
	if seen {
		acc.matched++
	}
}

// unknownMetric is the message for a name that is not in the table.
func unknownMetric(name string) string {
	if s := suggest.Closest(name, metricNames); s != "" {
		return "unknown metric " + quote(name) + " (did you mean " + s + "?)"
	}
	return "unknown metric " + quote(name) + " (known: " + strings.Join(metricNames, ", ") + ")"
}
