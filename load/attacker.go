package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Scenario is one workload of a run.
type Scenario struct {
	Name      string
	Executor  Executor
	Iteration IterationFunc
	// StartTime delays the scenario from the start of the run.
	StartTime time.Duration
	// GracefulStop is how long iterations still running when the schedule
	// ends may take to finish before they are interrupted; default 30s.
	GracefulStop time.Duration
}

// Attacker runs scenarios and records every request into Recorder. The
// zero value (plus a Recorder) is ready to use; every option has a working
// default.
type Attacker struct {
	Recorder *Recorder

	Timeout          time.Duration // per request; default 30s
	DisableKeepAlive bool          // close the connection after each request
	MaxConns         int           // per host; 0: as many as requests in flight
	Seed             uint64        // the same seed gives the same iterations

	// AllowHost, if set, allows dialling a non-loopback host. Without it
	// only loopback addresses are ever dialled.
	AllowHost func(host string) bool

	client *fasthttp.Client
}

const (
	defaultTimeout      = 30 * time.Second
	defaultGracefulStop = 30 * time.Second
	// abortWait bounds how long Run waits for in-flight requests after
	// its context is cancelled; they end by their own deadline anyway.
	abortWait = 2 * time.Second
)

func (a *Attacker) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return defaultTimeout
}

// Run runs the scenarios concurrently, each from its StartTime, and
// returns when all have ended or ctx is done. Its error is for a scenario
// that cannot run at all (a configuration mistake); failed requests are
// measurements in the Recorder.
func (a *Attacker) Run(ctx context.Context, scenarios ...Scenario) error {
	if a.Recorder == nil {
		return errors.New("attacker: no recorder")
	}
	for _, s := range scenarios {
		if err := validate(s); err != nil {
			return fmt.Errorf("scenario %q: %w", s.Name, err)
		}
	}
	if a.client == nil {
		a.client = a.newClient()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newScenarioRun(a, s, start.Add(s.StartTime))
			if !sleepUntil(ctx, r.start) {
				return
			}
			s.Executor.run(ctx, r)
		}()
	}
	wg.Wait()
	return nil
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (a *Attacker) CloseIdleConnections() {
	if a.client != nil {
		a.client.CloseIdleConnections()
	}
}

func validate(s Scenario) error {
	if s.Iteration == nil {
		return errors.New("no iteration function")
	}
	switch e := s.Executor.(type) {
	case ConstantArrivalRate:
		if e.Rate <= 0 || e.Duration <= 0 {
			return errors.New("constant-arrival-rate needs a rate and a duration above 0")
		}
	case RampingArrivalRate:
		if len(e.Stages) == 0 {
			return errors.New("ramping-arrival-rate needs stages")
		}
	case ConstantVUs:
		if e.VUs <= 0 || e.Duration <= 0 {
			return errors.New("constant-vus needs vus and a duration above 0")
		}
	case RampingVUs:
		if len(e.Stages) == 0 {
			return errors.New("ramping-vus needs stages")
		}
	case PerVUIterations:
		if e.VUs <= 0 || e.Iterations <= 0 {
			return errors.New("per-vu-iterations needs vus and iterations above 0")
		}
	case SharedIterations:
		if e.VUs <= 0 || e.Iterations <= 0 {
			return errors.New("shared-iterations needs vus and iterations above 0")
		}
	case nil:
		return errors.New("no executor")
	}
	return nil
}

// scenarioRun is the state of one scenario while it runs.
type scenarioRun struct {
	attacker *Attacker
	name     string
	seed     uint64
	fn       IterationFunc
	rec      *Recorder
	start    time.Time
	graceful time.Duration

	counter atomic.Uint64 // next iteration number (closed model)
	nextID  atomic.Int64  // next VU id

	endOnce sync.Once
	ended   chan struct{} // closed when no new iteration may start
	hardNs  atomic.Int64  // unix ns after which nothing may run; 0: not yet known
	hard    chan struct{} // closed at the hard stop
}

func newScenarioRun(a *Attacker, s Scenario, start time.Time) *scenarioRun {
	g := s.GracefulStop
	if g <= 0 {
		g = defaultGracefulStop
	}
	return &scenarioRun{
		attacker: a, name: s.Name, seed: seedFor(a.Seed, s.Name), fn: s.Iteration,
		rec: a.Recorder, start: start, graceful: g,
		ended: make(chan struct{}), hard: make(chan struct{}),
	}
}

// stop ends the schedule: no new iteration starts, and those running get
// the graceful-stop period to finish.
func (r *scenarioRun) stop() {
	r.endOnce.Do(func() {
		r.hardNs.Store(time.Now().Add(r.graceful).UnixNano())
		close(r.ended)
		time.AfterFunc(r.graceful, func() { close(r.hard) })
	})
}

func (r *scenarioRun) stopped() bool {
	select {
	case <-r.ended:
		return true
	default:
		return false
	}
}

// hardStop is the time after which no request may run (zero: unknown yet).
func (r *scenarioRun) hardStop() time.Time {
	if ns := r.hardNs.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// iterContext is ctx, also cancelled at the hard stop. The goroutine it
// starts exits when either happens or when the returned cancel is called.
func (r *scenarioRun) iterContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ictx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-r.hard:
			cancel()
		case <-ictx.Done():
		}
	}()
	return ictx, cancel
}

// wait waits for the workers: after an abort (ctx done) at most abortWait,
// since their requests end by their own deadlines.
func (r *scenarioRun) wait(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(abortWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// open runs an open-model schedule: iteration n starts at start +
// p.Due(n) on an idle VU, a new one (up to maxVUs), or is dropped.
func (r *scenarioRun) open(ctx context.Context, p Pacer, length time.Duration, peakRate float64, pre, maxVUs int) {
	if maxVUs <= 0 {
		maxVUs = DefaultMaxVUs
	}
	if pre <= 0 {
		pre = int(math.Ceil(peakRate)) // one second's worth
	}
	pre = max(1, min(pre, maxVUs))

	ictx, cancel := r.iterContext(ctx)
	defer cancel()
	type tick struct {
		n   uint64
		due time.Time
	}
	work := make(chan tick)
	var wg sync.WaitGroup
	workers := 0
	spawn := func(first *tick) {
		workers++
		wg.Add(1)
		v := newVU(int(r.nextID.Add(1)), r)
		r.rec.vus.Add(1)
		go func() {
			defer wg.Done()
			defer r.rec.vus.Add(-1)
			if first != nil {
				v.iterate(ictx, first.n, first.due)
			}
			for t := range work {
				v.iterate(ictx, t.n, t.due)
			}
		}()
	}
	for range pre {
		spawn(nil)
	}

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
schedule:
	for n := uint64(0); ; n++ {
		off, ok := p.Due(n)
		if !ok || off >= length {
			break
		}
		due := r.start.Add(off)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break schedule
			case <-r.ended:
				break schedule
			case <-timer.C:
			}
		}
		if r.stopped() || ctx.Err() != nil {
			break
		}
		t := tick{n: n, due: due}
		select {
		case work <- t:
		default:
			if workers < maxVUs {
				spawn(&t)
			} else {
				r.rec.drop(r.name)
			}
		}
	}
	r.stop()
	close(work)
	r.wait(ctx, &wg)
}

// closed runs vus looping VUs until next says there is no iteration left
// or length has passed (0: no limit).
func (r *scenarioRun) closed(ctx context.Context, vus int, length time.Duration, next func(v *vu, i int) (uint64, bool)) {
	ictx, cancel := r.iterContext(ctx)
	defer cancel()
	if length > 0 {
		t := time.AfterFunc(time.Until(r.start.Add(length)), r.stop)
		defer t.Stop()
	}
	var wg sync.WaitGroup
	for range vus {
		wg.Add(1)
		v := newVU(int(r.nextID.Add(1)), r)
		r.rec.vus.Add(1)
		go func() {
			defer wg.Done()
			defer r.rec.vus.Add(-1)
			for i := 0; !r.stopped() && ictx.Err() == nil; i++ {
				n, ok := next(v, i)
				if !ok || r.stopped() {
					return
				}
				v.iterate(ictx, n, time.Time{})
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	case <-r.ended:
	}
	r.stop()
	r.wait(ctx, &wg)
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
