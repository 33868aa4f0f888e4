package plan

import "testing"

func TestDidYouMean(t *testing.T) {
	known := []string{"rate", "start_rate", "pre_allocated_vus", "duration"}
	tests := []struct{ got, want string }{
		{"rte", ` (did you mean "rate"?)`},
		{"RATE", ` (did you mean "rate"?)`},
		{"durations", ` (did you mean "duration"?)`},
		{"pre_alloc", ` (did you mean "pre_allocated_vus"?)`},
		{"zzzzzz", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.got, known); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}
