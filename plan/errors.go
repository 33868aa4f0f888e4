package plan

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem of a plan, e.g.
//
//	plan.yaml:12:5: scenarios.browse.rate: must be greater than 0
//
// Line and Col are 1-based; both are 0 for a problem that does not come
// from a file (quick mode), and File is "" when the plan was not read from
// one. Field is the path of the offending field ("" for the whole plan).
type Error struct {
	File      string
	Line, Col int
	Field     string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		if e.Col > 0 {
			b.WriteString(strconv.Itoa(e.Col))
			b.WriteString(":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem of a plan, in file order.
type Errors []*Error

// Error joins the problems' texts, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortByPos puts the errors in file order; errors at the same place keep
// the order they were found in.
func (es Errors) sortByPos() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// err returns es as an error: nil (an untyped nil, so that err != nil
// works) when there is nothing to report.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	es.sortByPos()
	// A mapping reached through several aliases is read once per alias;
	// report each of its problems once.
	seen := map[string]bool{}
	out := es[:0]
	for _, e := range es {
		if text := e.Error(); !seen[text] {
			seen[text] = true
			out = append(out, e)
		}
	}
	return out
}
