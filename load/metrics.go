package load

import (
	"time"

	"github.com/mayfly-perf/mayfly/hist"
)

// Key names a stream of measurements: one request name of one scenario.
type Key struct {
	Scenario string
	Name     string
}

// Metrics aggregates hits: latency and service-time histograms and
// counters. Metrics of different seconds, names or processes merge
// exactly (Merge); percentiles are never averaged.
type Metrics struct {
	Latency     *hist.Histogram // due → done
	ServiceTime *hist.Histogram // sent → done
	Lag         *hist.Histogram // due → sent: the generator's own delay

	Requests int64 // hits, failed or not
	Errors   int64 // hits whose Kind is not OK
	Late     int64 // hits sent more than the Attacker's LateAfter after due

	// Kinds counts hits by ErrorKind (index OK counts successes).
	Kinds [numKinds]int64
	// Status counts responses by class: Status[2] is 2xx; Status[0]
	// counts hits that got no response.
	Status [6]int64

	BytesIn, BytesOut int64
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{Latency: hist.New(), ServiceTime: hist.New(), Lag: hist.New()}
}

// Add records one hit. lateAfter is the lag beyond which the hit counts
// as Late (0: never).
func (m *Metrics) Add(h *Hit, lateAfter time.Duration) {
	m.Requests++
	m.Kinds[h.Kind]++
	if h.Kind != OK {
		m.Errors++
	}
	if c := h.Status / 100; c >= 1 && c <= 5 {
		m.Status[c]++
	} else {
		m.Status[0]++
	}
	m.BytesIn += h.BytesIn
	m.BytesOut += h.BytesOut
	lag := h.Lag()
	if lateAfter > 0 && lag > lateAfter {
		m.Late++
	}
	if h.Kind == Script {
		return // never sent: no timing to speak of
	}
	m.Latency.Record(h.Latency())
	m.ServiceTime.Record(h.ServiceTime())
	m.Lag.Record(lag)
}

// Merge adds o into m.
func (m *Metrics) Merge(o *Metrics) {
	if o == nil {
		return
	}
	m.Latency.Merge(o.Latency)
	m.ServiceTime.Merge(o.ServiceTime)
	m.Lag.Merge(o.Lag)
	m.Requests += o.Requests
	m.Errors += o.Errors
	m.Late += o.Late
	for i := range m.Kinds {
		m.Kinds[i] += o.Kinds[i]
	}
	for i := range m.Status {
		m.Status[i] += o.Status[i]
	}
	m.BytesIn += o.BytesIn
	m.BytesOut += o.BytesOut
}

// Kind is the number of hits of kind k.
func (m *Metrics) Kind(k ErrorKind) int64 {
	if k >= numKinds {
		return 0
	}
	return m.Kinds[k]
}

// ErrorRate is the fraction of hits that failed, 0 when there were none.
func (m *Metrics) ErrorRate() float64 {
	if m.Requests == 0 {
		return 0
	}
	return float64(m.Errors) / float64(m.Requests)
}

// Reset empties m, keeping its memory.
func (m *Metrics) Reset() {
	lat, svc, lag := m.Latency, m.ServiceTime, m.Lag
	lat.Reset()
	svc.Reset()
	lag.Reset()
	*m = Metrics{Latency: lat, ServiceTime: svc, Lag: lag}
}

// Clone returns an independent copy of m.
func (m *Metrics) Clone() *Metrics {
	c := NewMetrics()
	c.Merge(m)
	return c
}
