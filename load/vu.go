package load

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/valyala/fasthttp"
)

// vu is a virtual user: it runs iterations one after another and owns the
// request and response buffers it reuses for every request.
type vu struct {
	id   int
	run  *scenarioRun
	req  fasthttp.Request
	resp fasthttp.Response
	out  Response
	it   Iteration
	pcg  rand.PCG
	rnd  *rand.Rand
	vars map[string]string
}

func newVU(id int, run *scenarioRun) *vu {
	v := &vu{id: id, run: run, vars: map[string]string{}}
	v.rnd = rand.New(&v.pcg)
	v.out.header = func(k string) string { return string(v.resp.Header.Peek(k)) }
	return v
}

// iterate runs iteration n of the scenario, due at due (zero: now).
func (v *vu) iterate(ctx context.Context, n uint64, due time.Time) {
	r := v.run
	if due.IsZero() {
		due = time.Now()
	}
	clear(v.vars)
	v.pcg.Seed(r.seed, n)
	v.it = Iteration{Scenario: r.name, N: n, VU: v.id, Rand: v.rnd, Vars: v.vars, vu: v, due: due}
	r.rec.started(r.name)
	r.fn(ctx, &v.it)
}

// record adds a hit to the recorder.
func (v *vu) record(h *Hit) { v.run.rec.Record(h) }

// do sends one request (see Iteration.Do).
func (v *vu) do(ctx context.Context, it *Iteration, r *Request) *Response {
	a := v.run.attacker
	name := r.Name
	if name == "" {
		name = it.Scenario
	}
	req, resp := &v.req, &v.resp
	req.Reset()
	resp.Reset()
	req.SetRequestURI(r.URL)
	if r.Method != "" {
		req.Header.SetMethod(r.Method)
	}
	for _, h := range r.Header {
		if equalFold(h.Key, "Host") {
			req.Header.SetHost(h.Value)
			continue
		}
		req.Header.Set(h.Key, h.Value)
	}
	if len(r.Body) > 0 {
		req.SetBodyRaw(r.Body)
	}
	if a.DisableKeepAlive {
		req.SetConnectionClose()
	}

	hit := Hit{Scenario: it.Scenario, Name: name, Intended: it.due, BytesOut: int64(len(r.Body))}
	if ctx.Err() != nil {
		// The run is stopping: the request is not sent and not counted.
		v.out = Response{Kind: Other, header: v.out.header}
		return &v.out
	}
	deadline := time.Now().Add(a.timeout())
	if hard := v.run.hardStop(); !hard.IsZero() && hard.Before(deadline) {
		deadline = hard
	}
	v.run.rec.inFlight.Add(1)
	hit.Sent = time.Now()
	err := a.client.DoDeadline(req, resp, deadline)
	hit.Done = time.Now()
	v.run.rec.inFlight.Add(-1)

	v.out = Response{header: v.out.header}
	if err != nil {
		hit.Kind = classify(err)
		hit.Error = err.Error()
	} else {
		hit.Status = resp.StatusCode()
		body := resp.Body()
		hit.BytesIn = int64(len(body))
		if r.KeepBody || r.Check != nil {
			v.out.Body = body
		}
		v.out.Status = hit.Status
		switch {
		case !expected(r.Expect, hit.Status):
			hit.Kind = Status
			hit.Error = statusError(hit.Status, body)
		case r.Check != nil:
			if cerr := r.Check(&v.out); cerr != nil {
				hit.Kind = Check
				hit.Error = cerr.Error()
			}
		}
	}
	v.out.Kind = hit.Kind
	v.run.rec.Record(&hit)
	it.due = hit.Done // the next request of the sequence is due now
	return &v.out
}

func expected(set []int, status int) bool {
	if len(set) == 0 {
		return status < 400
	}
	return slices.Contains(set, status)
}

// statusError describes an unexpected status with the start of the body,
// for error samples.
func statusError(status int, body []byte) string {
	const max = 120
	if len(body) > max {
		body = body[:max]
	}
	if len(body) == 0 {
		return fmt.Sprintf("status %d", status)
	}
	return fmt.Sprintf("status %d: %s", status, body)
}

// seedFor derives a scenario's stream from the run's seed, so scenarios
// draw independent numbers.
func seedFor(seed uint64, scenario string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(scenario))
	return seed ^ h.Sum64()
}
