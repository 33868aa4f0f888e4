package plan

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	second = time.Second
	minute = time.Minute
)

func TestProfiles(t *testing.T) {
	tests := []struct {
		name, fields string
		profile      Profile
		start        float64
		stages       []Stage
	}{
		{"load", "profile: load\nrate: 100",
			Profile{Kind: "load", Rate: 100, Ramp: minute, Hold: 5 * minute}, 0,
			[]Stage{{minute, 100}, {5 * minute, 100}, {minute, 0}}},
		{"load with overrides", "profile: load\nrate: 10\nramp: 10s\nhold: 1m",
			Profile{Kind: "load", Rate: 10, Ramp: 10 * second, Hold: minute}, 0,
			[]Stage{{10 * second, 10}, {minute, 10}, {10 * second, 0}}},
		{"stress", "profile: stress\nrate: 100",
			Profile{Kind: "stress", Rate: 100, Peak: 3, Steps: 4, Ramp: 30 * second, Step: 2 * minute}, 0,
			[]Stage{
				{30 * second, 100}, {2 * minute, 100},
				{30 * second, 100 + 200.0/3}, {2 * minute, 100 + 200.0/3},
				{30 * second, 100 + 400.0/3}, {2 * minute, 100 + 400.0/3},
				{30 * second, 300}, {2 * minute, 300},
				{30 * second, 0},
			}},
		{"stress in one step", "profile: stress\nrate: 10\nsteps: 1\npeak: 2\nstep: 10s\nramp: 0",
			Profile{Kind: "stress", Rate: 10, Peak: 2, Steps: 1, Step: 10 * second}, 0,
			[]Stage{{0, 20}, {10 * second, 20}, {0, 0}}},
		{"spike", "profile: spike\nrate: 50\npeak: 4",
			Profile{Kind: "spike", Rate: 50, Peak: 4, Ramp: 10 * second, Hold: minute, Step: minute}, 50,
			[]Stage{{minute, 50}, {10 * second, 200}, {minute, 200}, {10 * second, 50}, {2 * minute, 50}}},
		{"spike defaults", "profile: spike\nrate: 10",
			Profile{Kind: "spike", Rate: 10, Peak: 5, Ramp: 10 * second, Hold: minute, Step: minute}, 10,
			[]Stage{{minute, 10}, {10 * second, 50}, {minute, 50}, {10 * second, 10}, {2 * minute, 10}}},
		{"soak", "profile: soak\nrate: 20/s",
			Profile{Kind: "soak", Rate: 20, Ramp: 5 * minute, Hold: time.Hour}, 0,
			[]Stage{{5 * minute, 20}, {time.Hour, 20}, {5 * minute, 0}}},
		{"breakpoint", "profile: breakpoint\nrate: 10",
			Profile{Kind: "breakpoint", Rate: 10, Peak: 10, Hold: 10 * minute}, 10,
			[]Stage{{10 * minute, 100}}},
		{"explicit stages replace the expansion", "profile: load\nrate: 10\nstages: [{duration: 5s, target: 30}]",
			Profile{Kind: "load", Rate: 10, Ramp: minute, Hold: 5 * minute}, 0,
			[]Stage{{5 * second, 30}}},
		{"explicit start_rate", "profile: breakpoint\nrate: 10\nstart_rate: 1",
			Profile{Kind: "breakpoint", Rate: 10, Peak: 10, Hold: 10 * minute}, 1,
			[]Stage{{10 * minute, 100}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, scenarioPlan(tt.fields+"\nrequest: GET /")).Scenarios[0]
			if s.Executor != RampingArrivalRate || s.Profile == nil {
				t.Fatalf("Executor, Profile = %q, %v", s.Executor, s.Profile)
			}
			if *s.Profile != tt.profile {
				t.Errorf("profile = %+v, want %+v", *s.Profile, tt.profile)
			}
			if s.StartRate != tt.start {
				t.Errorf("start rate = %v, want %v", s.StartRate, tt.start)
			}
			if !stagesEqual(s.Stages, tt.stages) {
				t.Errorf("stages =\n%v\nwant\n%v", s.Stages, tt.stages)
			}
		})
	}
}

func TestProfileErrors(t *testing.T) {
	tests := []struct{ fields, want string }{
		{"profile: load\nrate: 10\npeak: 2", "scenarios.s.peak: field peak is not used by profile load"},
		{"profile: breakpoint\nrate: 10\nramp: 1s", "scenarios.s.ramp: field ramp is not used by profile breakpoint"},
		{"profile: soak\nrate: 10\nduration: 1m", "scenarios.s.duration: field duration is not used by profile soak"},
		{"profile: spike", "scenarios.s.rate: missing: the profile's base rate"},
		{"profile: stress\nrate: 10\nsteps: 0", "scenarios.s.steps: must be at least 1, got 0"},
		{"profile: stress\nrate: 10\nsteps: 5000", "scenarios.s.steps: must be at most 1000, got 5000"},
		{"profile: load\nrate: 10\nhold: 0s", "scenarios.s.hold: must be greater than 0"},
		{"profile: laod\nrate: 10", `unknown profile "laod": want one of load, stress, spike, soak, breakpoint (did you mean "load"?)`},
		{"profile: [load]\nrate: 10", `scenarios.s.profile: must be a string, got a list`},
	}
	for _, tt := range tests {
		got := parseErrors(t, scenarioPlan(tt.fields+"\nrequest: GET /"))
		if len(got) != 1 || !strings.Contains(got[0], tt.want) {
			t.Errorf("%q: errors %q, want one with %q", tt.fields, got, tt.want)
		}
	}
}

// TestShapesTable checks the table itself: every profile is listed by
// name, and the parameters a shape uses are exactly those its legs read.
func TestShapesTable(t *testing.T) {
	if len(shapes) != len(profileNames) {
		t.Fatalf("%d shapes, %d profile names", len(shapes), len(profileNames))
	}
	for _, name := range profileNames {
		sh, ok := shapes[name]
		if !ok {
			t.Errorf("profile %q has no shape", name)
			continue
		}
		// Changing a parameter the shape claims not to use must not
		// change its stages.
		pr := sh.defaults
		pr.Kind, pr.Rate = name, 10
		_, want := sh.expand(&pr)
		for _, unused := range []struct {
			key string
			set func(*Profile)
		}{
			{"peak", func(p *Profile) { p.Peak = 7 }},
			{"ramp", func(p *Profile) { p.Ramp = 7 * time.Second }},
			{"hold", func(p *Profile) { p.Hold = 7 * time.Second }},
			{"step", func(p *Profile) { p.Step = 7 * time.Second }},
		} {
			if slices.Contains(sh.keys(), unused.key) {
				continue
			}
			changed := pr
			unused.set(&changed)
			if _, got := sh.expand(&changed); !reflect.DeepEqual(got, want) {
				t.Errorf("profile %s: %s is not accepted, but changes the stages", name, unused.key)
			}
		}
	}
}

// stagesEqual compares stages, targets to within rounding.
func stagesEqual(a, b []Stage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Duration != b[i].Duration || math.Abs(a[i].Target-b[i].Target) > 1e-9 {
			return false
		}
	}
	return true
}
