package plan

import (
	"math"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// scenarioKeys is every key a scenario may have; which of them a given
// scenario accepts depends on its executor or profile.
var scenarioKeys = []string{
	"executor", "profile", "start_time", "graceful_stop", "request", "requests",
	"rate", "start_rate", "pre_allocated_vus", "max_vus",
	"vus", "start_vus", "iterations", "duration", "max_duration", "stages", "graceful_ramp_down", "think",
	"peak", "ramp", "hold", "step", "steps",
}

// commonKeys are accepted by every executor and profile.
var commonKeys = []string{"executor", "profile", "start_time", "graceful_stop", "request", "requests"}

// executorKeys are the keys each executor accepts besides commonKeys
// (k6's semantics). The open-model executors have no think time: their
// iterations start on a schedule, not after each other.
var executorKeys = map[string][]string{
	ConstantArrivalRate: {"rate", "duration", "pre_allocated_vus", "max_vus"},
	RampingArrivalRate:  {"start_rate", "stages", "pre_allocated_vus", "max_vus"},
	ConstantVUs:         {"vus", "duration", "think"},
	RampingVUs:          {"start_vus", "stages", "graceful_ramp_down", "think"},
	PerVUIterations:     {"vus", "iterations", "max_duration", "think"},
	SharedIterations:    {"vus", "iterations", "max_duration", "think"},
}

var executorNames = []string{ConstantArrivalRate, RampingArrivalRate, ConstantVUs, RampingVUs, PerVUIterations, SharedIterations}

func (p *parser) scenarios(n, at *yaml.Node, ctx *planContext) []*Scenario {
	o := p.object(n, at, "scenarios", nil)
	if o == nil {
		return nil
	}
	var out []*Scenario
	for _, k := range o.keys {
		name := deref(k).Value
		if strings.TrimSpace(name) == "" {
			p.errorf(k, "scenarios", "a scenario needs a name")
			continue
		}
		if s := p.scenario(name, k, o.get(name), ctx); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// scenario reads one scenario; it returns nil when it is not a mapping.
func (p *parser) scenario(name string, key, n *yaml.Node, ctx *planContext) *Scenario {
	path := join("scenarios", name)
	o := p.object(n, key, path, scenarioKeys)
	if o == nil {
		return nil
	}
	s := &Scenario{Name: name, GracefulStop: DefaultGracefulStop, Pos: Pos{key.Line, key.Column}}
	field := func(k string) string { return join(path, k) }

	// What drives the scenario decides which fields it accepts.
	var accepted []string
	var kind, by string // "executor" or "profile", and its name
	var shape *shape
	switch {
	case o.has("executor") && o.has("profile"):
		p.errorf(o.key("profile"), field("profile"), "a scenario has an executor or a profile, not both")
	case o.has("executor"):
		if e, ok := p.str(o.get("executor"), field("executor")); ok {
			if keys, known := executorKeys[e]; known {
				s.Executor, kind, by, accepted = e, "executor", e, keys
			} else {
				p.errorf(o.get("executor"), field("executor"), "unknown executor %q: want one of %s%s", e, strings.Join(executorNames, ", "), didYouMean(e, executorNames))
			}
		}
	case o.has("profile"):
		if pr, ok := p.str(o.get("profile"), field("profile")); ok {
			if sh, known := shapes[pr]; known {
				shape = &sh
				s.Executor, kind, by, accepted = RampingArrivalRate, "profile", pr, sh.keys()
				s.Profile = &Profile{Kind: pr}
			} else {
				p.errorf(o.get("profile"), field("profile"), "unknown profile %q: want one of %s%s", pr, strings.Join(profileNames, ", "), didYouMean(pr, profileNames))
			}
		}
	default:
		p.errorf(key, path, "needs an executor (e.g. executor: constant-arrival-rate) or a profile (e.g. profile: load)")
	}
	if kind != "" {
		for _, k := range o.names() {
			if !slices.Contains(commonKeys, k) && !slices.Contains(accepted, k) {
				p.errorf(o.key(k), field(k), "field %s is not used by %s %s", k, kind, by)
			}
		}
	} else {
		// Without a known executor, read every field anyway to report its
		// own problems.
		accepted = scenarioKeys
	}
	use := func(k string) *yaml.Node {
		if !slices.Contains(commonKeys, k) && !slices.Contains(accepted, k) {
			return nil
		}
		return o.get(k)
	}

	if n := use("start_time"); n != nil {
		s.StartTime, _ = p.duration(n, field("start_time"))
	}
	if n := use("graceful_stop"); n != nil {
		s.GracefulStop, _ = p.duration(n, field("graceful_stop"))
	}
	if n := use("graceful_ramp_down"); n != nil {
		s.GracefulRampDown, _ = p.duration(n, field("graceful_ramp_down"))
	}
	if n := use("rate"); n != nil {
		if r, ok := p.rate(n, field("rate")); ok {
			if r <= 0 {
				p.errorf(n, field("rate"), "must be greater than 0")
			}
			s.Rate = r
		}
	}
	if n := use("start_rate"); n != nil {
		if r, ok := p.rate(n, field("start_rate")); ok {
			if r < 0 {
				p.errorf(n, field("start_rate"), "must not be negative")
			}
			s.StartRate = r
		}
	}
	if n := use("duration"); n != nil {
		s.Duration, _ = p.positive(n, field("duration"))
	}
	if n := use("max_duration"); n != nil {
		s.MaxDuration, _ = p.positive(n, field("max_duration"))
	}
	if n := use("vus"); n != nil {
		s.VUs, _ = p.count(n, field("vus"), 1)
	}
	if n := use("start_vus"); n != nil {
		s.StartVUs, _ = p.count(n, field("start_vus"), 0)
	}
	if n := use("iterations"); n != nil {
		s.Iterations, _ = p.count(n, field("iterations"), 1)
	}
	if n := use("pre_allocated_vus"); n != nil {
		s.PreAllocatedVUs, _ = p.count(n, field("pre_allocated_vus"), 1)
	}
	if n := use("max_vus"); n != nil {
		s.MaxVUs, _ = p.count(n, field("max_vus"), 1)
	}
	if n := use("think"); n != nil {
		s.Think, _ = p.think(n, field("think"))
	}
	if n := use("stages"); n != nil {
		s.Stages = p.stages(n, field("stages"), s.Executor == RampingVUs)
	}
	if s.Profile != nil {
		p.profileParams(path, s, use)
	}

	p.scenarioRequests(o, key, path, s, ctx)

	// Requirements and defaults of the executor.
	missing := func(k, msg string) {
		p.errorf(key, field(k), "missing: %s", msg)
	}
	switch s.Executor {
	case ConstantArrivalRate:
		if !o.has("rate") {
			missing("rate", "the arrival rate, e.g. rate: 100 (per second) or \"6000/m\"")
		}
		if !o.has("duration") {
			missing("duration", "how long to run, e.g. duration: 1m")
		}
	case RampingArrivalRate:
		if shape != nil {
			// Explicit stages (and start_rate) override the expansion.
			if !o.has("rate") {
				missing("rate", "the profile's base rate, e.g. rate: 100 (per second)")
			} else if s.Rate > 0 {
				start, stages := shape.expand(s.Profile)
				if !o.has("start_rate") {
					s.StartRate = start
				}
				if !o.has("stages") {
					s.Stages = stages
				}
			}
		} else if !o.has("stages") {
			missing("stages", "e.g. stages: [{duration: 1m, target: 100}]")
		}
	case ConstantVUs:
		if !o.has("vus") {
			missing("vus", "the number of virtual users, e.g. vus: 10")
		}
		if !o.has("duration") {
			missing("duration", "how long to run, e.g. duration: 1m")
		}
	case RampingVUs:
		if !o.has("stages") {
			missing("stages", "e.g. stages: [{duration: 1m, target: 50}]")
		}
		if !o.has("graceful_ramp_down") {
			s.GracefulRampDown = DefaultGracefulStop
		}
	case PerVUIterations, SharedIterations:
		if !o.has("iterations") {
			missing("iterations", "e.g. iterations: 100")
		}
		if !o.has("vus") {
			s.VUs = 1
		}
		if !o.has("max_duration") {
			s.MaxDuration = DefaultMaxDuration
		}
		if s.Executor == SharedIterations && s.Iterations > 0 && s.VUs > s.Iterations {
			p.errorf(o.key("vus"), field("vus"), "%d VUs share only %d iterations: some would never run one", s.VUs, s.Iterations)
		}
	}
	if s.Executor == ConstantArrivalRate || s.Executor == RampingArrivalRate {
		p.openModelVUs(o, path, s)
	}
	if len(s.Stages) > 0 && s.stagesLength() == 0 {
		p.errorf(o.key("stages"), field("stages"), "the stages last 0s in all: give at least one a duration")
	}
	return s
}

// openModelVUs applies the defaults of an arrival-rate executor's VU pool:
// enough pre-allocated VUs for one second of the peak rate (so that
// requests taking up to a second need no new VUs), at most MaxVUs.
func (p *parser) openModelVUs(o *object, path string, s *Scenario) {
	if !o.has("max_vus") {
		s.MaxVUs = max(DefaultMaxVUs, s.PreAllocatedVUs)
	}
	if !o.has("pre_allocated_vus") {
		peak := max(s.Rate, s.StartRate)
		for _, st := range s.Stages {
			peak = max(peak, st.Target)
		}
		s.PreAllocatedVUs = defaultPreAllocated(peak, s.MaxVUs)
	} else if o.has("max_vus") && s.PreAllocatedVUs > s.MaxVUs && s.MaxVUs > 0 {
		p.errorf(o.key("pre_allocated_vus"), join(path, "pre_allocated_vus"), "%d is more than max_vus (%d)", s.PreAllocatedVUs, s.MaxVUs)
	}
}

var stageKeys = []string{"duration", "target"}

// stages reads a ramp; for ramping-vus the targets are VU counts.
func (p *parser) stages(n *yaml.Node, path string, vus bool) []Stage {
	items, ok := p.sequence(n, path, false)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(n, path, "must have at least one stage")
		return nil
	}
	out := make([]Stage, 0, len(items))
	for i, item := range items {
		ipath := index(path, i)
		o := p.object(item, nil, ipath, stageKeys)
		if o == nil {
			continue
		}
		var st Stage
		if d := o.get("duration"); d == nil {
			p.errorf(item, join(ipath, "duration"), "missing: how long the stage lasts, e.g. duration: 30s")
		} else {
			st.Duration, _ = p.duration(d, join(ipath, "duration"))
		}
		switch t := o.get("target"); {
		case t == nil:
			p.errorf(item, join(ipath, "target"), "missing: the rate or VUs to reach by the end of the stage")
		case vus:
			v, _ := p.count(t, join(ipath, "target"), 0)
			st.Target = float64(v)
		default:
			if r, ok := p.rate(t, join(ipath, "target")); ok {
				if r < 0 {
					p.errorf(t, join(ipath, "target"), "must not be negative")
				}
				st.Target = r
			}
		}
		out = append(out, st)
	}
	return out
}

// think reads "2s" (fixed), "1s-3s" (uniform in the range) or a number of
// seconds.
func (p *parser) think(n *yaml.Node, path string) (Think, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if lo, hi, found := strings.Cut(n.Value, "-"); found && strings.TrimSpace(lo) != "" {
			a, errA := parseDuration(lo)
			b, errB := parseDuration(hi)
			switch {
			case errA != nil || errB != nil:
				p.errorf(n, path, `must be a duration or a range like "1s-3s", got %s`, describe(n))
				return Think{}, false
			case a < 0 || b < a:
				p.errorf(n, path, "the range %s must go from low to high, and not below 0", describe(n))
				return Think{}, false
			}
			return Think{Min: a, Max: b}, true
		}
	}
	d, ok := p.duration(n, path)
	return Think{Min: d, Max: d}, ok
}

// stagesLength is the sum of the stages' durations.
func (s *Scenario) stagesLength() time.Duration {
	var total time.Duration
	for _, st := range s.Stages {
		total += st.Duration
	}
	return total
}

// defaultPreAllocated is the VUs an arrival-rate executor starts with:
// enough for one second of its peak rate, at least 1 and at most maxVUs.
func defaultPreAllocated(peakRate float64, maxVUs int) int {
	return int(max(1, min(float64(maxVUs), math.Ceil(peakRate))))
}
