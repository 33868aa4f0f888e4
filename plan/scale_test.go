package plan

import (
	"math"
	"testing"
	"time"
)

const scalePlan = `
target: http://127.0.0.1:8080
http: {timeout: 10s, late_after: 20ms}
scenarios:
  open:
    executor: constant-arrival-rate
    rate: 10
    duration: 10m
    start_time: 1m
    graceful_stop: 20s
    request: GET /
  ramp:
    executor: ramping-vus
    stages: [{duration: 5m, target: 10}, {duration: 500ms, target: 0}, {duration: 0s, target: 0}]
    graceful_ramp_down: 10s
    think: 1s-2s
    request: GET /
  iter:
    executor: per-vu-iterations
    iterations: 5
    request: GET /
  soak:
    profile: soak
    rate: 10
    start_time: 30s
    request: GET /
slo:
  - latency p95 over 5m < 1s
  - {expr: "errors < 1%", abort: true, grace: 30s}
`

func TestScale(t *testing.T) {
	p := mustParse(t, scalePlan)
	if got, want := p.Length(), 30*time.Second+70*time.Minute; got != want {
		t.Fatalf("Length before scaling = %v, want %v", got, want)
	}
	p.Scale(0.01)
	open, ramp, iter, soak := p.Scenarios[0], p.Scenarios[1], p.Scenarios[2], p.Scenarios[3]
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"open duration", open.Duration, 6 * time.Second},
		{"open start_time", open.StartTime, 600 * time.Millisecond},
		{"open graceful_stop (kept)", open.GracefulStop, 20 * time.Second},
		{"ramp stage 0", ramp.Stages[0].Duration, 3 * time.Second},
		{"ramp stage 1 (floor 100ms)", ramp.Stages[1].Duration, 100 * time.Millisecond},
		{"ramp stage 2 (zero stays)", ramp.Stages[2].Duration, 0},
		{"ramp graceful_ramp_down (kept)", ramp.GracefulRampDown, 10 * time.Second},
		{"ramp think (kept)", ramp.Think.Max, 2 * time.Second},
		{"iter max_duration", iter.MaxDuration, 6 * time.Second},
		{"soak stage", soak.Stages[1].Duration, 36 * time.Second},
		{"soak profile hold", soak.Profile.Hold, 36 * time.Second},
		{"soak start_time", soak.StartTime, 300 * time.Millisecond},
		{"slo window", p.SLOs[0].Objective.Window, 3 * time.Second},
		{"slo grace (floor 1s)", p.SLOs[1].Grace, time.Second},
		{"timeout (kept)", p.HTTP.Timeout, 10 * time.Second},
		{"late_after (kept)", p.HTTP.LateAfter, 20 * time.Millisecond},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got, want := p.Length(), 300*time.Millisecond+42*time.Second; got != want {
		t.Errorf("Length after scaling = %v, want %v", got, want)
	}
}

func TestScaleEdges(t *testing.T) {
	for _, f := range []float64{0, -1, math.NaN(), math.Inf(1), 1} {
		p := mustParse(t, scalePlan)
		p.Scale(f)
		if p.Scenarios[0].Duration != 10*time.Minute || p.SLOs[0].Objective.Window != 5*time.Minute {
			t.Errorf("Scale(%v) changed the plan", f)
		}
	}
	p := mustParse(t, scalePlan)
	p.Scale(1e300)
	if d := p.Scenarios[0].Duration; d != math.MaxInt64 {
		t.Errorf("Scale(1e300): duration %v, want it saturated", d)
	}
	p = mustParse(t, scalePlan)
	p.Scale(3)
	if d := p.Scenarios[0].Duration; d != 30*time.Minute {
		t.Errorf("Scale(3): duration %v, want 30m", d)
	}
	// A duration already under the floor is not lengthened by scaling down.
	if got := scale(50*time.Millisecond, 0.5, minScaledStage); got != 50*time.Millisecond {
		t.Errorf("scale(50ms, 0.5) = %v, want 50ms", got)
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		s    Scenario
		want time.Duration
	}{
		{Scenario{Executor: ConstantArrivalRate, Duration: time.Minute}, time.Minute},
		{Scenario{Executor: ConstantVUs, Duration: time.Second}, time.Second},
		{Scenario{Executor: RampingArrivalRate, Stages: []Stage{{time.Second, 1}, {2 * time.Second, 1}}}, 3 * time.Second},
		{Scenario{Executor: RampingVUs, Stages: []Stage{{time.Minute, 1}}}, time.Minute},
		{Scenario{Executor: PerVUIterations, MaxDuration: 10 * time.Minute}, 10 * time.Minute},
		{Scenario{Executor: SharedIterations, MaxDuration: time.Hour, StartTime: time.Hour}, time.Hour},
	}
	for _, tt := range tests {
		if got := tt.s.Length(); got != tt.want {
			t.Errorf("%s Length() = %v, want %v", tt.s.Executor, got, tt.want)
		}
	}
	if got := (&Plan{}).Length(); got != 0 {
		t.Errorf("empty plan Length() = %v", got)
	}
}
