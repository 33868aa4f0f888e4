package load

import (
	"context"
	"math"
	"sync"
	"time"
)

// Executor decides when a scenario's iterations start. The open-model
// executors (ConstantArrivalRate, RampingArrivalRate) start iterations on a
// schedule whatever the server does; the closed-model ones (ConstantVUs,
// RampingVUs, PerVUIterations, SharedIterations) loop virtual users that
// each start the next iteration when the last one ended.
type Executor interface {
	run(ctx context.Context, r *scenarioRun)
}

// Default limits of the open model.
const (
	DefaultMaxVUs = 10000
)

// ConstantArrivalRate starts Rate iterations per second for Duration.
// PreAllocatedVUs are started up front; more are started, up to MaxVUs,
// when all are busy; when MaxVUs are busy an iteration is dropped and
// counted.
type ConstantArrivalRate struct {
	Rate            float64 // per second
	Duration        time.Duration
	PreAllocatedVUs int // default: 1s worth of Rate, at most MaxVUs
	MaxVUs          int // default DefaultMaxVUs
}

func (e ConstantArrivalRate) run(ctx context.Context, r *scenarioRun) {
	r.open(ctx, ConstantPacer{Rate: e.Rate, Duration: e.Duration}, e.Duration, e.Rate, e.PreAllocatedVUs, e.MaxVUs)
}

// RampingArrivalRate moves the arrival rate linearly from StartRate
// through each stage's Target (per second).
type RampingArrivalRate struct {
	StartRate       float64
	Stages          []Stage
	PreAllocatedVUs int
	MaxVUs          int
}

func (e RampingArrivalRate) run(ctx context.Context, r *scenarioRun) {
	p := NewRampingPacer(e.StartRate, e.Stages)
	peak := e.StartRate
	for _, s := range e.Stages {
		peak = math.Max(peak, s.Target)
	}
	r.open(ctx, p, p.Length(), peak, e.PreAllocatedVUs, e.MaxVUs)
}

// ConstantVUs loops VUs virtual users for Duration.
type ConstantVUs struct {
	VUs      int
	Duration time.Duration
}

func (e ConstantVUs) run(ctx context.Context, r *scenarioRun) {
	r.closed(ctx, e.VUs, e.Duration, func(*vu, int) (uint64, bool) {
		return r.counter.Add(1) - 1, true
	})
}

// PerVUIterations has each of VUs virtual users run Iterations iterations,
// within MaxDuration.
type PerVUIterations struct {
	VUs         int
	Iterations  int
	MaxDuration time.Duration
}

func (e PerVUIterations) run(ctx context.Context, r *scenarioRun) {
	r.closed(ctx, e.VUs, e.MaxDuration, func(v *vu, i int) (uint64, bool) {
		// Iteration numbers are fixed per VU, so the set of requests does
		// not depend on which VU runs faster.
		return uint64((v.id-1)*e.Iterations + i), i < e.Iterations
	})
}

// SharedIterations has VUs virtual users share Iterations iterations,
// within MaxDuration.
type SharedIterations struct {
	VUs         int
	Iterations  int
	MaxDuration time.Duration
}

func (e SharedIterations) run(ctx context.Context, r *scenarioRun) {
	r.closed(ctx, e.VUs, e.MaxDuration, func(*vu, int) (uint64, bool) {
		n := r.counter.Add(1) - 1
		return n, n < uint64(e.Iterations)
	})
}

// RampingVUs moves the number of looping VUs linearly from StartVUs
// through each stage's Target. A VU above the current target finishes its
// iteration and waits until it is needed again.
type RampingVUs struct {
	StartVUs int
	Stages   []Stage
}

func (e RampingVUs) run(ctx context.Context, r *scenarioRun) {
	var length time.Duration
	peak := float64(e.StartVUs)
	for _, s := range e.Stages {
		length += s.Duration
		peak = math.Max(peak, s.Target)
	}
	g := newGate(e.StartVUs)
	target := func(t time.Duration) int {
		from, at := float64(e.StartVUs), time.Duration(0)
		for _, s := range e.Stages {
			if t < at+s.Duration {
				f := float64(t-at) / float64(s.Duration)
				return int(math.Round(from + (s.Target-from)*f))
			}
			at += s.Duration
			from = s.Target
		}
		return int(math.Round(from))
	}
	// The controller moves the gate every 100ms: fine enough for ramps of
	// seconds, cheap for thousands of VUs (they wake only on change).
	ctl, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			g.set(target(time.Since(r.start)))
			select {
			case <-ctl.Done():
				return
			case <-tick.C:
			}
		}
	}()
	r.closed(ctx, int(peak), length, func(v *vu, _ int) (uint64, bool) {
		for {
			ok, wait := g.admit(v.id)
			if ok {
				return r.counter.Add(1) - 1, true
			}
			select {
			case <-wait:
			case <-r.ended:
				return 0, false
			case <-ctx.Done():
				return 0, false
			}
		}
	})
}

// gate admits VUs numbered up to n; waiters are woken when n changes.
type gate struct {
	mu sync.Mutex
	n  int
	ch chan struct{}
}

func newGate(n int) *gate { return &gate{n: n, ch: make(chan struct{})} }

func (g *gate) set(n int) {
	g.mu.Lock()
	if n != g.n {
		g.n = n
		close(g.ch)
		g.ch = make(chan struct{})
	}
	g.mu.Unlock()
}

// admit reports whether VU id may run; if not, the returned channel closes
// when the gate next changes.
func (g *gate) admit(id int) (bool, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return id <= g.n, g.ch
}
