package plan

import (
	"fmt"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` for the known word closest to
// got, or "" when none is close: within edit distance 2, or one a prefix of
// the other (for words of at least 3 letters, so that "a" suggests nothing).
func didYouMean(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if strings.HasSuffix(k, "*") {
			continue // a pattern, not a name
		}
		d := levenshtein(strings.ToLower(got), k)
		if d >= bestDist {
			continue
		}
		best, bestDist = k, d
	}
	if best == "" && len(got) >= 3 {
		g := strings.ToLower(got)
		for _, k := range known {
			if !strings.HasSuffix(k, "*") && (strings.HasPrefix(k, g) || strings.HasPrefix(g, k)) {
				best = k
				break
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// levenshtein is the edit distance between a and b, counted in runes:
// insertions, deletions and substitutions each cost 1.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
