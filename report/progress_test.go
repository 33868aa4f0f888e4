package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

var snap = Snapshot{Elapsed: 8400 * time.Millisecond, Total: 20 * time.Second, Rate: 1002, P95: 3200 * time.Microsecond,
	Requests: 8412, Errors: 12, VUs: 50}

func TestWriteProgressBar(t *testing.T) {
	long := snap
	long.Elapsed, long.Total, long.InFlight = 150*time.Second, 10*time.Minute, 7
	unknown := snap
	unknown.Total = 0
	fast := snap
	fast.Rate, fast.InFlight = 1e12, 1000000000 // dropping in-flight would leave room for a bar
	done := snap
	done.Elapsed, done.Errors, done.P95 = 21*time.Second, 0, 0

	tests := []struct {
		name  string
		s     Snapshot
		width int
		want  string // without the leading \r and the padding
	}{
		{"fits", snap, 80, "[=========>           ]  42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"the example's width", snap, 70, "[=====>     ]  42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"wide terminal caps the bar", snap, 200, "[=================>                      ]  42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"bar goes before numbers", snap, 60, "42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"numbers go from the end", snap, 40, "42% 8.4s/20s  1,002 req/s  p95 3.2ms"},
		{"only the clock", snap, 14, "42% 8.4s/20s"},
		{"truncated", snap, 6, "42% 8"},
		{"minutes and in-flight", long, 100, "[=======>                    ]  25% 2m30s/10m  1,002 req/s  p95 3.2ms  err 0.1%  vus 50  inflight 7"},
		{"the bar goes before any number", fast, 81, "42% 8.4s/20s  1,000,000,000,000 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"unknown total", unknown, 80, "8.4s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
		{"overrun, no data", done, 80, "[==========================] 100% 21.0s/20s  1,002 req/s  p95 -  err 0%  vus 50"},
		{"default width", snap, 0, "[=========>           ]  42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			WriteProgressBar(&b, tt.s, tt.width)
			out := b.String()
			if !strings.HasPrefix(out, "\r") || strings.Contains(out, "\n") {
				t.Fatalf("%q: want \\r first and no newline", out)
			}
			if got := strings.TrimRight(out[1:], " "); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			w := tt.width
			if w <= 0 {
				w = 80
			}
			if got := width(out[1:]); got != w-1 {
				t.Errorf("line is %d columns, want exactly %d (width-1, padded)", got, w-1)
			}
		})
	}
}

func TestWriteProgressLine(t *testing.T) {
	long := snap
	long.Elapsed, long.Total, long.InFlight, long.Rate = 150*time.Second, 10*time.Minute, 7, 2.5
	unknown := snap
	unknown.Total, unknown.Requests, unknown.Errors, unknown.P95 = 0, 0, 0, 0
	tests := []struct {
		name string
		s    Snapshot
		want string
	}{
		{"example", snap, "t=8s/20s rate=1002/s p95=3.2ms requests=8412 errors=12 (0.1%) vus=50\n"},
		{"in flight, slow", long, "t=150s/600s rate=2.5/s p95=3.2ms requests=8412 errors=12 (0.1%) vus=50 inflight=7\n"},
		{"nothing yet", unknown, "t=8s rate=1002/s p95=- requests=0 errors=0 (0%) vus=50\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			WriteProgressLine(&b, tt.s)
			if got := b.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func FuzzWriteProgressBar(f *testing.F) {
	f.Add(int64(snap.Elapsed), int64(snap.Total), snap.Rate, int64(snap.P95), snap.Requests, snap.Errors, 3, 50, 80)
	f.Add(int64(-1), int64(-5), -1.0, int64(-1), int64(-1), int64(5), -1, -1, 1)
	f.Fuzz(func(t *testing.T, elapsed, total int64, rate float64, p95, requests, errs int64, inflight, vus, cols int) {
		if cols > 1000 {
			cols %= 1000 // a terminal, not a megabyte of spaces
		}
		s := Snapshot{time.Duration(elapsed), time.Duration(total), rate, time.Duration(p95), requests, errs, inflight, vus}
		var b bytes.Buffer
		WriteProgressBar(&b, s, cols)
		out := b.String()
		want := cols - 1
		if cols <= 0 {
			want = 79
		}
		if !strings.HasPrefix(out, "\r") || strings.Contains(out, "\n") || width(out[1:]) != want {
			t.Fatalf("width %d: %q", cols, out)
		}
		// The bar is the first thing to go: it never stays at a number's
		// expense.
		if strings.Contains(out, "[") && !strings.Contains(out, fmt.Sprintf("vus %d", vus)) {
			t.Fatalf("bar kept, numbers dropped: %q", out)
		}
		b.Reset()
		WriteProgressLine(&b, s)
		if !strings.HasSuffix(b.String(), "\n") || strings.Count(b.String(), "\n") != 1 {
			t.Fatalf("line %q", b.String())
		}
	})
}
