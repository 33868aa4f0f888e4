package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mayfly-perf/mayfly/load"
)

// ANSI colours for the SLO marks; nothing else is coloured, so the
// summary stays readable when colour is lost (a CI log, a pasted issue).
const (
	green = "\x1b[32m"
	red   = "\x1b[31m"
	reset = "\x1b[0m"
)

// WriteText writes the end-of-run summary for a terminal: a header, a
// table of latency by request name with a TOTAL row, status classes,
// errors by kind, warnings (dropped iterations, late requests, a
// generator-bound or aborted run), the SLOs and the verdict. color adds
// ANSI green and red to the ✓ and ✗ marks only.
func WriteText(w io.Writer, r *Run, color bool) error {
	if r == nil {
		return errors.New("write summary: no run")
	}
	var b strings.Builder
	writeText(&b, Summarize(r), color)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// writeText renders s. It works from the Summary, not the Run, so that
// whatever the terminal shows can be shown again from a summary.json.
func writeText(b *strings.Builder, s *Summary, color bool) {
	// Header: what ran, for how long.
	head := []string{"mayfly: " + s.Name, fmt.Sprintf("seed %d", s.Seed), "load " + formatDuration(secs(s.Duration))}
	if !s.Started.IsZero() {
		head = append(head, "started "+s.Started.Format("2006-01-02 15:04:05 MST"))
	}
	b.WriteString(strings.Join(head, "   ") + "\n")
	if len(s.Phases) > 0 {
		var ps []string
		for _, p := range s.Phases {
			ps = append(ps, p.Name+" "+formatDuration(secs(p.Duration)))
		}
		b.WriteString("phases: " + strings.Join(ps, " · ") + "\n")
	}
	b.WriteString("\n")

	writeTable(b, s)
	writeStatus(b, s.Total.Status)
	writeErrorKinds(b, s)
	writeWarnings(b, s)
	if bp := s.Breakpoint; bp != nil {
		fmt.Fprintf(b, "breakpoint: %s/s was the last rate that held", formatRate(bp.Rate, true))
		if bp.Reason != "" {
			fmt.Fprintf(b, " (%s)", bp.Reason)
		}
		b.WriteString("\n\n")
	}
	writeSLOs(b, s.SLOs, color)
	b.WriteString(verdictLine(s) + "\n")
}

// writeTable writes one row per request name and a TOTAL row.
func writeTable(b *strings.Builder, s *Summary) {
	rows := [][]string{{"request", "count", "rps", "err%", "avg", "p50", "p90", "p95", "p99", "max", "svc-p99"}}
	names := displayNames(s.Requests)
	for i, rq := range s.Requests {
		rows = append(rows, tableRow(names[i], rq.Stats))
	}
	rows = append(rows, tableRow("TOTAL", s.Total))

	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], width(c))
		}
	}
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = pad(c, widths[i], i > 0) // names left, numbers right
		}
		b.WriteString(strings.TrimRight(strings.Join(cells, "  "), " ") + "\n")
	}
	b.WriteString("\n")
}

// displayNames names each request for a reader: by its name, or as
// scenario/name where two scenarios use the same name.
func displayNames(reqs []RequestStats) []string {
	uses := map[string]int{}
	for _, rq := range reqs {
		uses[rq.Name]++
	}
	names := make([]string, len(reqs))
	for i, rq := range reqs {
		names[i] = rq.Name
		if uses[rq.Name] > 1 || rq.Name == "" {
			names[i] = rq.Scenario + "/" + rq.Name
		}
	}
	return names
}

func tableRow(name string, st Stats) []string {
	row := []string{name, formatCount(st.Count), formatRate(st.RPS, true), formatPercent(st.ErrorRate)}
	// Max is at least 1µs for any timed request: zero means there were
	// none (no requests, or only ones that were never sent).
	if st.Latency.Max == 0 {
		return append(row, "-", "-", "-", "-", "-", "-", "-")
	}
	l := st.Latency
	return append(row, fmtMillis(l.Mean), fmtMillis(l.P50), fmtMillis(l.P90), fmtMillis(l.P95),
		fmtMillis(l.P99), fmtMillis(l.Max), fmtMillis(st.ServiceTime.P99))
}

func writeStatus(b *strings.Builder, st StatusCounts) {
	classes := []struct {
		name string
		n    int64
	}{{"1xx", st.S1xx}, {"2xx", st.S2xx}, {"3xx", st.S3xx}, {"4xx", st.S4xx}, {"5xx", st.S5xx}, {"no response", st.None}}
	var parts []string
	for _, c := range classes {
		if c.n != 0 {
			parts = append(parts, c.name+" "+formatCount(c.n))
		}
	}
	if len(parts) == 0 {
		return
	}
	b.WriteString("status: " + strings.Join(parts, " · ") + "\n\n")
}

// writeErrorKinds lists each kind of failure with the requests it hit.
func writeErrorKinds(b *strings.Builder, s *Summary) {
	kinds := make([]string, 0, len(s.Total.ErrorsByKind))
	for k := range s.Total.ErrorsByKind {
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		return
	}
	slices.SortFunc(kinds, compareKinds)
	names := displayNames(s.Requests)
	var rows [][]string
	for _, k := range kinds {
		var who []string
		for i, rq := range s.Requests {
			if n := rq.ErrorsByKind[k]; n != 0 {
				who = append(who, fmt.Sprintf("%s %s", names[i], formatCount(n)))
			}
		}
		rows = append(rows, []string{k, formatCount(s.Total.ErrorsByKind[k]), strings.Join(who, ", ")})
	}
	wk, wn := 0, 0
	for _, r := range rows {
		wk, wn = max(wk, width(r[0])), max(wn, width(r[1]))
	}
	b.WriteString("errors by kind\n")
	for _, r := range rows {
		b.WriteString(strings.TrimRight("  "+pad(r[0], wk, false)+"  "+pad(r[1], wn, true)+"  "+r[2], " ") + "\n")
	}
	b.WriteString("\n")
}

// compareKinds orders error kinds as load.ErrorKinds does; names it does
// not know (from a newer summary) go last, alphabetically.
func compareKinds(a, b string) int {
	ia, ib := kindIndex(a), kindIndex(b)
	if ia != ib {
		return ia - ib
	}
	return strings.Compare(a, b)
}

func kindIndex(name string) int {
	for i, k := range load.ErrorKinds() {
		if k.String() == name {
			return i
		}
	}
	return len(load.ErrorKinds())
}

// writeWarnings writes a "!" line for everything that qualifies the
// numbers above: work the generator did not do, or did late.
func writeWarnings(b *strings.Builder, s *Summary) {
	var lines []string
	if s.Total.Dropped > 0 {
		var who []string
		for _, sc := range s.Scenarios {
			if sc.Dropped > 0 {
				who = append(who, fmt.Sprintf("%s %s", sc.Name, formatCount(sc.Dropped)))
			}
		}
		lines = append(lines, fmt.Sprintf("! %s iterations dropped (%s): they were due but no VU was free to start them",
			formatCount(s.Total.Dropped), strings.Join(who, ", ")))
	}
	if s.Total.Late > 0 {
		lines = append(lines, fmt.Sprintf("! %s requests (%s) sent late; generator lag p99 %s, max %s",
			formatCount(s.Total.Late), formatPercent(float64(s.Total.Late)/float64(max(s.Total.Count, 1))),
			fmtMillis(s.Total.Lag.P99), fmtMillis(s.Total.Lag.Max)))
	}
	if s.GeneratorBound {
		lines = append(lines, "! generator-bound: "+s.GeneratorBoundReason,
			"  The load generator could not keep to its schedule, so it, not the server, limited this run:",
			"  the verdict does not blame the server. Give the generator more CPU or VUs, or lower the rate.")
	}
	if s.Aborted != "" {
		lines = append(lines, "! aborted: "+s.Aborted)
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString(strings.Join(lines, "\n") + "\n\n")
}

func writeSLOs(b *strings.Builder, slos []SLOResult, color bool) {
	if len(slos) == 0 {
		return
	}
	w := 0
	for _, r := range slos {
		w = max(w, width(r.Expression))
	}
	b.WriteString("SLOs\n")
	for _, r := range slos {
		mark := "✓"
		if !r.Pass {
			mark = "✗"
		}
		if color {
			c := green
			if !r.Pass {
				c = red
			}
			mark = c + mark + reset
		}
		measured := r.Text
		if r.Missing != "" {
			measured = "no data: " + r.Missing
		}
		b.WriteString(strings.TrimRight("  "+mark+" "+pad(r.Expression, w, false)+"   "+measured, " ") + "\n")
	}
	b.WriteString("\n")
}

func verdictLine(s *Summary) string {
	failed := 0
	for _, r := range s.SLOs {
		if !r.Pass {
			failed++
		}
	}
	tally := fmt.Sprintf("%d of %d SLOs failed", failed, len(s.SLOs))
	if failed == 0 {
		tally = fmt.Sprintf("all %d SLOs met", len(s.SLOs))
	}
	if len(s.SLOs) == 0 {
		tally = "no SLOs"
	}
	switch s.Verdict {
	case VerdictAborted:
		return "verdict: ABORTED (" + s.Aborted + ")"
	case VerdictGeneratorBound:
		return "verdict: GENERATOR-BOUND (the generator limited the run; " + tally + ")"
	case VerdictFail:
		if failed == 0 { // cannot happen from a Run; a hand-edited summary
			return "verdict: FAIL"
		}
		return "verdict: FAIL (" + tally + ")"
	}
	return "verdict: PASS (" + tally + ")"
}

// secs converts summary seconds back to a duration.
func secs(s float64) time.Duration { return time.Duration(math.Round(finite(s) * 1e9)) }

// fmtMillis formats summary milliseconds as a duration.
func fmtMillis(ms float64) string { return formatDuration(time.Duration(math.Round(finite(ms) * 1e6))) }
