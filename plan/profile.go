package plan

import (
	"time"

	"gopkg.in/yaml.v3"
)

// This file is the test-type profiles: presets that expand into the stages
// of a ramping-arrival-rate scenario. A scenario says
//
//	profile: spike
//	rate: 50     # the base rate, per second
//	peak: 4      # the peak, as a multiple of rate
//
// and may override the profile's durations (ramp, hold, step) and steps,
// or replace the expansion with stages of its own.

// shapes is every profile's shape: where the rate starts, then its legs,
// each reaching a level linearly over a span. A parameter a shape does not
// use is zero in its defaults, and a plan that sets it is told so.
var shapes = map[string]shape{
	// load: the expected traffic, held.
	//   rate ┤   ┌──────┐
	//      0 ┼──╱        ╲──   ramp, hold, ramp
	"load": {
		defaults: Profile{Ramp: time.Minute, Hold: 5 * time.Minute},
		from:     zero,
		legs:     []leg{{ramp, base, false}, {hold, base, false}, {ramp, zero, false}},
	},
	// stress: steps from rate up to rate×peak, each reached over ramp and
	// held for step, then down.
	//   rate×peak ┤          ┌──┐
	//             │       ┌──┘  │
	//        rate ┤  ┌────┘     ╲
	//           0 ┼─╱            ╲─
	"stress": {
		defaults: Profile{Peak: 3, Steps: 4, Ramp: 30 * time.Second, Step: 2 * time.Minute},
		from:     zero,
		legs:     []leg{{ramp, stepLevel, true}, {step, stepLevel, true}, {ramp, zero, false}},
	},
	// spike: warm at rate for hold, jump to rate×peak over ramp, stay for
	// step, drop back over ramp, and recover at rate for twice hold —
	// does the system come back?
	//   rate×peak ┤      ┌─┐
	//        rate ┼──────╯ ╰────────   hold, ramp, step, ramp, 2×hold
	"spike": {
		defaults: Profile{Peak: 5, Ramp: 10 * time.Second, Hold: time.Minute, Step: time.Minute},
		from:     base,
		legs:     []leg{{hold, base, false}, {ramp, peak, false}, {step, peak, false}, {ramp, base, false}, {twiceHold, base, false}},
	},
	// soak: load's shape, held for hours to find leaks and drift.
	"soak": {
		defaults: Profile{Ramp: 5 * time.Minute, Hold: time.Hour},
		from:     zero,
		legs:     []leg{{ramp, base, false}, {hold, base, false}, {ramp, zero, false}},
	},
	// breakpoint: one long ramp from rate to rate×peak over hold; the
	// runner stops it when an SLO breaks, and that rate is the answer.
	//   rate×peak ┤          ╱
	//        rate ┼─────────╱     hold
	"breakpoint": {
		defaults: Profile{Peak: 10, Hold: 10 * time.Minute},
		from:     base,
		legs:     []leg{{hold, peak, false}},
	},
}

var profileNames = []string{"load", "stress", "spike", "soak", "breakpoint"}

// shape is a profile's stages, in terms of its parameters.
type shape struct {
	defaults Profile
	from     level // the rate at time 0
	legs     []leg
}

// leg is one stage of a shape: reach level to over span over. The legs
// marked each repeat, in order, once per step (stress).
type leg struct {
	over span
	to   level
	each bool
}

// A span is a duration of a shape, a level a rate (per second) at step
// (0-based) of steps.
type (
	span  func(pr *Profile) time.Duration
	level func(pr *Profile, step, steps int) float64
)

func ramp(pr *Profile) time.Duration      { return pr.Ramp }
func hold(pr *Profile) time.Duration      { return pr.Hold }
func step(pr *Profile) time.Duration      { return pr.Step }
func twiceHold(pr *Profile) time.Duration { return 2 * pr.Hold }

func zero(*Profile, int, int) float64         { return 0 }
func base(pr *Profile, _, _ int) float64      { return pr.Rate }
func peak(pr *Profile, _, _ int) float64      { return pr.Rate * pr.Peak }
func stepLevel(pr *Profile, i, n int) float64 { return stepRate(pr.Rate, pr.Peak, i, n) }

// stepRate is the rate of step i of n, evenly from rate (the first) to
// rate×peak (the last); a single step goes straight to the peak.
func stepRate(rate, peak float64, i, n int) float64 {
	if n <= 1 {
		return rate * peak
	}
	return rate + (rate*peak-rate)*float64(i)/float64(n-1)
}

// expand turns the profile's parameters into a start rate and stages.
func (sh shape) expand(pr *Profile) (float64, []Stage) {
	var stages []Stage
	for i := 0; i < len(sh.legs); {
		if !sh.legs[i].each {
			l := sh.legs[i]
			stages = append(stages, Stage{Duration: l.over(pr), Target: l.to(pr, 0, 1)})
			i++
			continue
		}
		j := i
		for j < len(sh.legs) && sh.legs[j].each {
			j++
		}
		for s := 0; s < pr.Steps; s++ {
			for _, l := range sh.legs[i:j] {
				stages = append(stages, Stage{Duration: l.over(pr), Target: l.to(pr, s, pr.Steps)})
			}
		}
		i = j
	}
	return sh.from(pr, 0, 1), stages
}

// keys are the scenario keys a profile accepts besides commonKeys: its
// rate, the parameters its shape uses, and what overrides the expansion.
func (sh shape) keys() []string {
	keys := []string{"rate", "start_rate", "stages", "pre_allocated_vus", "max_vus"}
	d := sh.defaults
	for _, p := range []struct {
		key  string
		used bool
	}{{"peak", d.Peak != 0}, {"ramp", d.Ramp != 0}, {"hold", d.Hold != 0}, {"step", d.Step != 0}, {"steps", d.Steps != 0}} {
		if p.used {
			keys = append(keys, p.key)
		}
	}
	return keys
}

// profileParams fills pr from the scenario's fields (already read: its
// rate) and the shape's defaults. use returns a field's value if the
// profile accepts it.
func (p *parser) profileParams(path string, s *Scenario, use func(string) *yaml.Node) {
	pr := s.Profile
	d := shapes[pr.Kind].defaults
	pr.Rate, pr.Peak, pr.Ramp, pr.Hold, pr.Step, pr.Steps = s.Rate, d.Peak, d.Ramp, d.Hold, d.Step, d.Steps
	if n := use("peak"); n != nil {
		if f, ok := p.number(n, join(path, "peak")); ok {
			if f < 1 {
				p.errorf(n, join(path, "peak"), "must be at least 1 (it multiplies rate), got %v", f)
			}
			pr.Peak = f
		}
	}
	if n := use("ramp"); n != nil {
		pr.Ramp, _ = p.duration(n, join(path, "ramp"))
	}
	if n := use("hold"); n != nil {
		pr.Hold, _ = p.positive(n, join(path, "hold"))
	}
	if n := use("step"); n != nil {
		pr.Step, _ = p.positive(n, join(path, "step"))
	}
	if n := use("steps"); n != nil {
		// A cap keeps a typo from expanding into millions of stages.
		if c, ok := p.count(n, join(path, "steps"), 1); ok && c > 1000 {
			p.errorf(n, join(path, "steps"), "must be at most 1000, got %d", c)
		} else if ok {
			pr.Steps = c
		}
	}
}
