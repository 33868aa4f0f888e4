package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Snapshot is the state of a running test, for one progress update.
type Snapshot struct {
	Elapsed, Total time.Duration // Total 0: unknown (an iteration-bound run)
	Rate           float64       // requests per second over the last second
	P95            time.Duration // latency p95 over the last second; 0: no data
	Requests       int64         // since the start
	Errors         int64         // since the start
	InFlight       int           // requests sent and not yet answered
	VUs            int           // virtual users allocated
}

// Bar widths: the bar shrinks before any number is dropped, but never
// below minBar; it grows no wider than maxBar, however wide the terminal.
const (
	minBar       = 10
	maxBar       = 40
	defaultWidth = 80
)

// WriteProgressBar writes one in-place status update for a terminal cols
// columns wide:
//
//	\r[=====>     ]  42% 8.4s/20s  1,002 req/s  p95 3.2ms  err 0.1%  vus 50
//
// It starts with a carriage return, ends without a newline, and is padded
// with spaces so that it overwrites a longer previous update. It never
// takes more than cols-1 columns (writing the last column makes some
// terminals wrap). When the line does not fit, the bar shrinks (to
// minBar), then goes, then the numbers at the end go: in-flight, vus,
// err, p95, rate. cols <= 0 means 80. Without a Total there is no bar or
// percentage. Write errors are ignored: a lost status update is not worth
// stopping a run for.
func WriteProgressBar(w io.Writer, s Snapshot, cols int) {
	if cols <= 0 {
		cols = defaultWidth
	}
	room := cols - 1

	clock := fmt.Sprintf("%.1fs", s.Elapsed.Seconds())
	if s.Elapsed >= time.Minute {
		clock = clockTime(s.Elapsed)
	}
	frac, pct := 0.0, ""
	if s.Total > 0 {
		clock += "/" + clockTime(s.Total)
		frac = min(max(s.Elapsed.Seconds()/s.Total.Seconds(), 0), 1)
		pct = fmt.Sprintf("%.0f%%", math.Floor(frac*100))
	}
	fields := []string{
		formatRate(s.Rate, true) + " req/s",
		"p95 " + p95Text(s.P95),
		"err " + formatPercent(errorFrac(s)),
		fmt.Sprintf("vus %d", s.VUs),
	}
	if s.InFlight > 0 {
		fields = append(fields, fmt.Sprintf("inflight %d", s.InFlight))
	}

	line := strings.Join(append([]string{clock}, fields...), "  ")
	if pct != "" {
		// "[bar]" + " " + the percentage right-aligned in 4 columns.
		barred := pad(pct, 4, true) + " " + line
		if inner := min(room-width(barred)-3, maxBar); inner >= minBar {
			line = progressBar(frac, inner) + " " + barred
			io.WriteString(w, "\r"+pad(line, room, false))
			return
		}
	}
	for n := len(fields); n >= 0; n-- { // no room for a bar: drop numbers
		line = strings.Join(append([]string{clock}, fields[:n]...), "  ")
		if pct != "" {
			line = pct + " " + line
		}
		if width(line) <= room {
			break
		}
	}
	if width(line) > room { // even the clock alone does not fit
		line = string([]rune(line)[:max(room, 0)])
	}
	io.WriteString(w, "\r"+pad(line, room, false))
}

// progressBar draws "[=====>     ]" with inner columns between the
// brackets, frac of them filled (to the nearest column). Only a finished
// run shows a full bar.
func progressBar(frac float64, inner int) string {
	if frac >= 1 {
		return "[" + strings.Repeat("=", inner) + "]"
	}
	filled := min(int(math.Round(frac*float64(inner))), inner-1)
	return "[" + strings.Repeat("=", filled) + ">" + strings.Repeat(" ", inner-filled-1) + "]"
}

// WriteProgressLine writes one plain status line for logs and other
// non-terminals, ending in a newline:
//
//	t=8s/20s rate=1002/s p95=3.2ms requests=8412 errors=12 (0.1%) vus=50
//
// " inflight=N" follows when requests are in flight; "/20s" is absent
// when the run's length is unknown. Write errors are ignored, as in
// WriteProgressBar.
func WriteProgressLine(w io.Writer, s Snapshot) {
	t := fmt.Sprintf("t=%ds", int64(s.Elapsed/time.Second))
	if s.Total > 0 {
		t += fmt.Sprintf("/%ds", int64(s.Total/time.Second))
	}
	line := fmt.Sprintf("%s rate=%s/s p95=%s requests=%d errors=%d (%s) vus=%d",
		t, formatRate(s.Rate, false), p95Text(s.P95), s.Requests, s.Errors, formatPercent(errorFrac(s)), s.VUs)
	if s.InFlight > 0 {
		line += fmt.Sprintf(" inflight=%d", s.InFlight)
	}
	io.WriteString(w, line+"\n")
}

func p95Text(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return formatDuration(d)
}

func errorFrac(s Snapshot) float64 {
	if s.Requests <= 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Requests)
}

// clockTime renders a run length the way a clock would: 20s, 5m, 2m30s,
// 1h5m.
func clockTime(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	h, m, sec := int64(d/time.Hour), int64(d%time.Hour/time.Minute), int64(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}
