package load

import (
	"testing"
	"time"
)

func TestConstantPacer(t *testing.T) {
	p := ConstantPacer{Rate: 200, Duration: time.Second}
	n := 0
	for ; ; n++ {
		d, ok := p.Due(uint64(n))
		if !ok {
			break
		}
		if want := time.Duration(n) * 5 * time.Millisecond; d != want {
			t.Fatalf("Due(%d) = %v, want %v", n, d, want)
		}
	}
	if n != 200 {
		t.Fatalf("schedule has %d iterations, want 200", n)
	}
}

func TestRampingPacer(t *testing.T) {
	tests := []struct {
		name   string
		start  float64
		stages []Stage
		count  int           // iterations in the whole schedule
		probe  uint64        // an iteration whose due time we know
		due    time.Duration // its due time
	}{
		// 0 → 100/s over 10s: 500 iterations; n = 50·t²/10 ⇒ n=125 at t=5s.
		{"ramp up", 0, []Stage{{10 * time.Second, 100}}, 500, 125, 5 * time.Second},
		// flat 100/s for 2s, then 100 → 0 over 2s: 200 + 100.
		{"flat then down", 100, []Stage{{2 * time.Second, 100}, {2 * time.Second, 0}}, 300, 150, 1500 * time.Millisecond},
		// a zero-rate stage schedules nothing, then 10/s for 1s.
		{"pause", 0, []Stage{{time.Second, 0}, {0, 10}, {time.Second, 10}}, 10, 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewRampingPacer(tt.start, tt.stages)
			n := 0
			var last time.Duration
			for ; ; n++ {
				d, ok := p.Due(uint64(n))
				if !ok {
					break
				}
				if d < last {
					t.Fatalf("Due(%d) = %v goes back from %v", n, d, last)
				}
				last = d
			}
			if n < tt.count-1 || n > tt.count+1 {
				t.Errorf("schedule has %d iterations, want %d±1", n, tt.count)
			}
			d, ok := p.Due(tt.probe)
			if !ok || absDur(d-tt.due) > time.Millisecond {
				t.Errorf("Due(%d) = %v, %v; want %v", tt.probe, d, ok, tt.due)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func BenchmarkRampingPacer(b *testing.B) {
	p := NewRampingPacer(0, []Stage{{time.Minute, 1000}, {time.Minute, 1000}, {time.Minute, 0}})
	for i := 0; b.Loop(); i++ {
		p.Due(uint64(i % 120000))
	}
}
