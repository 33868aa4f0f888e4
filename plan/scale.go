package plan

import (
	"math"
	"time"
)

// Minimums of scaled durations: a scaled stage still ramps, a scaled SLO
// window still holds enough samples to judge.
const (
	minScaledStage  = 100 * time.Millisecond
	minScaledWindow = time.Second
)

// Scale multiplies every duration that sets the length of the test by f
// (--duration-scale: run a 1h plan for 6 minutes with 0.1): scenarios'
// durations, stages, max_duration and start_time, profiles' phases, and
// SLO windows and grace. A scaled non-zero duration never drops below
// 100ms (1s for SLO windows and grace). Timeouts, think time, late_after
// and graceful stops are about single requests, not the test's length, and
// stay. f must be positive and finite; other values leave the plan as it
// is.
func (p *Plan) Scale(f float64) {
	if !(f > 0) || math.IsInf(f, 0) || f == 1 {
		return
	}
	stage := func(d *time.Duration) { *d = scale(*d, f, minScaledStage) }
	for _, s := range p.Scenarios {
		stage(&s.StartTime)
		stage(&s.Duration)
		stage(&s.MaxDuration)
		for i := range s.Stages {
			stage(&s.Stages[i].Duration)
		}
		if pr := s.Profile; pr != nil {
			stage(&pr.Ramp)
			stage(&pr.Hold)
			stage(&pr.Step)
		}
	}
	for _, o := range p.SLOs {
		o.Grace = scale(o.Grace, f, minScaledWindow)
		if o.Objective != nil {
			o.Objective.Window = scale(o.Objective.Window, f, minScaledWindow)
		}
	}
}

// scale multiplies d by f, rounded to the millisecond and saturating
// instead of overflowing. A non-zero d does not drop below floor, or below
// itself if it was shorter to begin with.
func scale(d time.Duration, f float64, floor time.Duration) time.Duration {
	if d == 0 {
		return 0
	}
	x := float64(d) * f
	if x >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(time.Duration(x).Round(time.Millisecond), min(floor, d))
}

// Length is how long the scenario's schedule runs, start_time excluded:
// its duration, the sum of its stages, or its max_duration (iteration
// executors may finish earlier). Graceful stops are not included.
func (s *Scenario) Length() time.Duration {
	switch s.Executor {
	case ConstantArrivalRate, ConstantVUs:
		return s.Duration
	case RampingArrivalRate, RampingVUs:
		return s.stagesLength()
	default:
		return s.MaxDuration
	}
}

// Length is how long the plan's schedule runs: the latest end of a
// scenario, start_time included.
func (p *Plan) Length() time.Duration {
	var longest time.Duration
	for _, s := range p.Scenarios {
		longest = max(longest, s.StartTime+s.Length())
	}
	return longest
}
