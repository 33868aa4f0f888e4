package report

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// durationUnits are the units formatDuration picks from, smallest first.
// Seconds give way to minutes only at 1000s, so that every value below
// that reads in one familiar unit.
var durationUnits = []struct {
	size float64 // in nanoseconds
	name string
	next float64 // the value, in this unit, at which the next unit takes over
}{
	{1, "ns", 1000},
	{1e3, "µs", 1000},
	{1e6, "ms", 1000},
	{1e9, "s", 1000},
	{60e9, "m", 1000},
	{3600e9, "h", math.Inf(1)},
}

// formatDuration renders d with three significant digits in the unit that
// keeps the number between 1 and 999, without trailing zeros: 812µs,
// 12.3ms, 1.21s, 2s. Zero is "0s".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	v := float64(d)
	if v < 0 {
		sign, v = "-", -v
	}
	for _, u := range durationUnits {
		x := roundSig(v/u.size, 3)
		if x < u.next {
			return sign + trimFloat(x) + u.name
		}
	}
	return sign + strconv.FormatFloat(v/3600e9, 'f', 0, 64) + "h" // unreachable: h has no next
}

// roundSig rounds x > 0 to n significant digits.
func roundSig(x float64, n int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// trimFloat formats a number already rounded to three significant digits:
// as many decimals as those digits need, trailing zeros dropped.
func trimFloat(x float64) string {
	dec := 2
	switch a := math.Abs(x); {
	case a >= 100:
		dec = 0
	case a >= 10:
		dec = 1
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// formatCount renders n with thousands separators: 1,234,567.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatRate renders a per-second rate: whole numbers (with thousands
// separators if commas) from 100 up, one decimal below, where the
// fraction still matters.
func formatRate(r float64, commas bool) string {
	r = finite(r)
	if math.Abs(r) >= 100 {
		if commas && math.Abs(r) < math.MaxInt64 {
			return formatCount(int64(math.Round(r)))
		}
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return trimFloat(math.Round(r*10) / 10)
}

// formatPercent renders a fraction as a percentage with one decimal:
// "0.1%". Rounding never hides a difference that matters for a verdict: a
// non-zero rate reads at least "<0.1%", and one short of all ">99.9%".
func formatPercent(frac float64) string {
	p := finite(frac) * 100
	switch {
	case p == 0:
		return "0%"
	case p > 0 && p < 0.05:
		return "<0.1%"
	case p >= 99.95 && p < 100:
		return ">99.9%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// width is the number of terminal columns s takes: one per rune (the
// package writes no wide or combining characters).
func width(s string) int { return utf8.RuneCountInString(s) }

// pad pads s with spaces to n columns, on the left if right is set.
func pad(s string, n int, right bool) string {
	gap := n - width(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}
