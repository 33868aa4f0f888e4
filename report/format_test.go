package report

import (
	"math"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Nanosecond, "500ns"},
		{812 * time.Microsecond, "812µs"},
		{999499 * time.Nanosecond, "999µs"},
		{999500 * time.Nanosecond, "1ms"}, // rounds up into the next unit
		{12345 * time.Microsecond, "12.3ms"},
		{3200 * time.Microsecond, "3.2ms"}, // trailing zero dropped
		{1214 * time.Millisecond, "1.21s"},
		{2 * time.Second, "2s"},
		{412 * time.Millisecond, "412ms"},
		{125 * time.Second, "125s"},
		{1000 * time.Second, "16.7m"},
		{time.Hour, "60m"},
		{-3 * time.Millisecond, "-3ms"},
		{time.Duration(math.MaxInt64), "2560000h"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatNumbers(t *testing.T) {
	counts := []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}}
	for _, tt := range counts {
		if got := formatCount(tt.n); got != tt.want {
			t.Errorf("formatCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	rates := []struct {
		r      float64
		commas bool
		want   string
	}{{1002.4, true, "1,002"}, {1002.4, false, "1002"}, {99.96, true, "100"}, {50.25, true, "50.3"}, {0.5, false, "0.5"}, {0, false, "0"}, {math.NaN(), true, "0"}, {7, true, "7"}}
	for _, tt := range rates {
		if got := formatRate(tt.r, tt.commas); got != tt.want {
			t.Errorf("formatRate(%v, %v) = %q, want %q", tt.r, tt.commas, got, tt.want)
		}
	}
	pcts := []struct {
		f    float64
		want string
	}{{0, "0%"}, {0.0001, "<0.1%"}, {12.0 / 8412, "0.1%"}, {0.0151, "1.5%"}, {0.9999, ">99.9%"}, {1, "100.0%"}, {math.Inf(1), "0%"}}
	for _, tt := range pcts {
		if got := formatPercent(tt.f); got != tt.want {
			t.Errorf("formatPercent(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
