package load

import (
	"context"
	"math/rand/v2"
	"time"
)

// IterationFunc is what one iteration of a scenario does: usually one or
// more calls of it.Do. It must return when ctx is done.
type IterationFunc func(ctx context.Context, it *Iteration)

// Iteration is one execution of a scenario's IterationFunc. Everything an
// iteration decides at random comes from Rand, which is seeded from the
// Attacker's seed, the scenario's name and N alone, so iteration N makes
// the same requests in every run with the same seed, whatever VU runs it
// and whenever.
type Iteration struct {
	Scenario string
	N        uint64 // iteration number within the scenario, from 0
	VU       int    // the virtual user running it, from 1
	Rand     *rand.Rand

	// Vars carries values between the requests of one iteration (a token
	// from a login response used by the next request). It is empty at the
	// start of every iteration.
	Vars map[string]string

	vu   *vu
	due  time.Time // when the next request is due (for latency)
	sent bool      // whether a request was sent yet in this iteration
}

// Sleep pauses the iteration (think time). The next request is due when the
// sleep ends, so think time never counts as latency. It ends early when the
// scenario's schedule ends: pausing then would only keep the run going.
func (it *Iteration) Sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	var ended <-chan struct{}
	if it.vu != nil {
		ended = it.vu.run.ended
	}
	select {
	case <-ctx.Done():
	case <-ended:
	case <-t.C:
	}
	it.due = time.Now()
}

// Fail records a request that could not be built or sent (a template
// error, an exhausted feeder) as a hit of the given kind. It is a
// measurement, not a crash.
func (it *Iteration) Fail(name string, kind ErrorKind, err error) {
	now := time.Now()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if name == "" {
		name = it.Scenario
	}
	it.vu.record(&Hit{Scenario: it.Scenario, Name: name, Intended: it.due, Sent: now, Done: now, Kind: kind, Error: msg})
}

// StopScenario ends the scenario after the iterations already running (for
// example because a feeder that hands out each row once ran out).
func (it *Iteration) StopScenario() { it.vu.run.stop() }

// Do sends req and records the hit. It never returns a Go error: failures
// are in Response.Kind. The Response is valid until the next Do.
func (it *Iteration) Do(ctx context.Context, req *Request) *Response {
	return it.vu.do(ctx, it, req)
}
