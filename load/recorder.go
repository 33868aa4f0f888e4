package load

import (
	"sync"
	"sync/atomic"
	"time"
)

// Second is one second of a run's measurements, as handed to a Recorder's
// sink. Its maps and Metrics are reused after the sink returns: a sink
// that keeps anything copies or merges it.
type Second struct {
	T          int              // covers [T, T+1) seconds since the recorder's start
	Requests   map[Key]*Metrics // hits completed in this second
	Dropped    map[string]int64 // iterations the schedule could not start, by scenario
	Iterations map[string]int64 // iterations started, by scenario
	VUs        int64            // VUs alive at the end of the second
	InFlight   int64            // requests in flight at the end of the second
}

// Recorder aggregates hits into per-second and whole-run Metrics per Key.
// Memory is bounded by the number of keys, not by time: each second is
// handed to the sink and folded into the totals when Flush is called.
// Safe for concurrent use.
type Recorder struct {
	lateAfter time.Duration
	sink      func(*Second)

	mu        sync.Mutex
	sec       Second
	t         int
	order     []Key
	totals    map[Key]*Metrics
	dropped   map[string]int64
	iters     map[string]int64
	spare     []*Metrics // emptied per-second Metrics, reused
	scenarios []string

	vus      atomic.Int64
	inFlight atomic.Int64
}

// NewRecorder returns a recorder. Hits sent more than lateAfter after they
// were due count as late (0: never). sink, if not nil, receives each second
// on Flush, synchronously.
func NewRecorder(lateAfter time.Duration, sink func(*Second)) *Recorder {
	return &Recorder{
		lateAfter: lateAfter,
		sink:      sink,
		sec:       newSecond(0),
		totals:    map[Key]*Metrics{},
		dropped:   map[string]int64{},
		iters:     map[string]int64{},
	}
}

func newSecond(t int) Second {
	return Second{T: t, Requests: map[Key]*Metrics{}, Dropped: map[string]int64{}, Iterations: map[string]int64{}}
}

// Record adds a hit to the current second.
func (r *Recorder) Record(h *Hit) {
	k := Key{Scenario: h.Scenario, Name: h.Name}
	r.mu.Lock()
	m := r.sec.Requests[k]
	if m == nil {
		m = r.newMetrics()
		r.sec.Requests[k] = m
		if _, seen := r.totals[k]; !seen {
			r.totals[k] = NewMetrics()
			r.order = append(r.order, k)
		}
	}
	m.Add(h, r.lateAfter)
	r.mu.Unlock()
}

func (r *Recorder) newMetrics() *Metrics {
	if n := len(r.spare); n > 0 {
		m := r.spare[n-1]
		r.spare = r.spare[:n-1]
		return m
	}
	return NewMetrics()
}

// drop counts an iteration of scenario that the schedule could not start.
func (r *Recorder) drop(scenario string) {
	r.mu.Lock()
	r.sec.Dropped[scenario]++
	r.mu.Unlock()
}

// started counts an iteration of scenario that began.
func (r *Recorder) started(scenario string) {
	r.mu.Lock()
	r.sec.Iterations[scenario]++
	r.mu.Unlock()
}

// Flush closes the current second: it hands it to the sink, folds it into
// the totals and opens the next one. The caller (a once-a-second ticker,
// or a test) owns the clock.
func (r *Recorder) Flush() {
	r.mu.Lock()
	sec := r.sec
	r.t++
	r.sec = newSecond(r.t)
	r.mu.Unlock()

	sec.VUs = r.vus.Load()
	sec.InFlight = r.inFlight.Load()
	if r.sink != nil {
		r.sink(&sec)
	}

	r.mu.Lock()
	for k, m := range sec.Requests {
		r.totals[k].Merge(m)
		m.Reset()
		r.spare = append(r.spare, m)
	}
	for s, n := range sec.Dropped {
		r.dropped[s] += n
	}
	for s, n := range sec.Iterations {
		r.iters[s] += n
	}
	r.mu.Unlock()
}

// Keys lists the keys seen so far, in the order of their first hit.
func (r *Recorder) Keys() []Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Key(nil), r.order...)
}

// Totals returns a copy of the whole-run metrics of k, as of the last
// Flush (nil if k has no hits).
func (r *Recorder) Totals(k Key) *Metrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.totals[k]
	if m == nil {
		return nil
	}
	return m.Clone()
}

// Dropped is the number of iterations of scenario the schedule could not
// start, as of the last Flush.
func (r *Recorder) Dropped(scenario string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped[scenario]
}

// Iterations is the number of iterations of scenario that started, as of
// the last Flush.
func (r *Recorder) Iterations(scenario string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.iters[scenario]
}

// VUs is the number of VUs alive now.
func (r *Recorder) VUs() int64 { return r.vus.Load() }

// InFlight is the number of requests in flight now.
func (r *Recorder) InFlight() int64 { return r.inFlight.Load() }
