package plan

import (
	"fmt"
	"strings"

	"github.com/mayfly-perf/mayfly/suggest"
)

// didYouMean returns ` (did you mean "x"?)` for the known word closest to
// got, or "" when none is close (see suggest.Closest). Known entries ending
// in "*" are patterns, not names, and never suggested.
func didYouMean(got string, known []string) string {
	names := make([]string, 0, len(known))
	for _, k := range known {
		if !strings.HasSuffix(k, "*") {
			names = append(names, k)
		}
	}
	best := suggest.Closest(got, names)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
