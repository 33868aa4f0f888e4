// Package suggest finds the word a user probably meant, for "did you mean"
// in error messages about plans and SLO expressions.
package suggest

import "strings"

// Closest returns the candidate closest to word when it is close enough to
// be a typo, else "": within two edits (and no more than half the
// candidate's length, so "x" does not suggest "p"), or, for words of three
// letters or more, one a prefix of the other. Case is ignored.
func Closest(word string, candidates []string) string {
	w := strings.ToLower(word)
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Distance(w, strings.ToLower(c)); d < bestD && d <= (len(c)+1)/2 && d < len(c) {
			best, bestD = c, d
		}
	}
	if best != "" || len(w) < 3 {
		return best
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if strings.HasPrefix(lc, w) || strings.HasPrefix(w, lc) {
			return c
		}
	}
	return ""
}

// Distance is the Levenshtein distance between a and b, counted in runes:
// insertions, deletions and substitutions each cost 1.
func Distance(a, b string) int {
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
