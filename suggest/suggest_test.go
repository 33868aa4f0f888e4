package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"rate", "duration", "max_vus", "latency", "p"}
	tests := []struct{ word, want string }{
		{"rat", "rate"},
		{"RATE", "rate"},
		{"duraton", "duration"},
		{"max_vu", "max_vus"},
		{"latncy", "latency"},
		{"durationz", "duration"},
		{"x", ""},          // too short to be a typo of anything
		{"zzzzzz", ""},     // nothing close
		{"max", "max_vus"}, // a prefix
	}
	for _, tt := range tests {
		if got := Closest(tt.word, known); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"µs", "us", 1}, {"rate", "rate", 0}}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
