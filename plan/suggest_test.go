package plan

import "testing"

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"rate", "rate", 0}, {"rte", "rate", 1},
		{"kitten", "sitting", 3}, {"héllo", "hello", 1}, {"abc", "", 3},
	}
	for _, tt := range tests {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

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
