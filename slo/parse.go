package slo

import (
	"fmt"
	"github.com/mayfly-perf/mayfly/suggest"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SyntaxError is a malformed SLO expression. Col is the 1-based column, in
// characters, of the offending token within the expression (one past its
// end for a missing token).
type SyntaxError struct {
	Col int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("1:%d: %s", e.Col, e.Msg) }

// Units of the threshold and of windows: how many base units (seconds, or
// per second) one of them is.
var (
	durationUnits = map[string]float64{
		"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
		"s": 1, "m": 60, "h": 3600,
	}
	rateUnits = map[string]float64{"/s": 1, "/m": 1.0 / 60}
)

// canonicalUnit spells micro the way package time prints it.
func canonicalUnit(u string) string {
	if u == "us" || u == "μs" { // the second is the Greek mu, U+03BC
		return "µs"
	}
	return u
}

const maxWindow = 24 * time.Hour

// Parse reads one SLO expression (see the package documentation for the
// grammar). Errors are *SyntaxError.
func Parse(expr string) (*Objective, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	o, err := p.objective()
	if err != nil {
		return nil, err
	}
	o.Expr = expr
	return o, nil
}

type tokKind int

const (
	tEOF    tokKind = iota
	tWord           // letters, digits, _ . - (and µ): names, numbers with units, bare values
	tString         // a "quoted string"; text is the unquoted value
	tOp             // < <= > >= == !=
	tPunct          // { } = , % /
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based, in runes
}

// describe names a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string " + strconv.Quote(t.text)
	default:
		return quote(t.text)
	}
}

func quote(s string) string { return strconv.Quote(s) }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-'
}

// lex splits expr into tokens, ending with tEOF.
func lex(expr string) ([]token, error) {
	rs := []rune(expr)
	var toks []token
	for i := 0; i < len(rs); {
		r, col := rs[i], i+1
		switch {
		case unicode.IsSpace(r):
			i++
		case isWordRune(r):
			j := i
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
			toks = append(toks, token{tWord, string(rs[i:j]), col})
			i = j
		case r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return nil, &SyntaxError{col, "unterminated string"}
			}
			v, err := strconv.Unquote(string(rs[i : j+1]))
			if err != nil || !utf8.ValidString(v) {
				return nil, &SyntaxError{col, "invalid quoted string " + string(rs[i:j+1])}
			}
			toks = append(toks, token{tString, v, col})
			i = j + 1
		case r == '<' || r == '>' || r == '=' || r == '!':
			if i+1 < len(rs) && rs[i+1] == '=' {
				toks = append(toks, token{tOp, string(rs[i : i+2]), col})
				i += 2
				continue
			}
			switch r {
			case '<', '>':
				toks = append(toks, token{tOp, string(r), col})
			case '=':
				toks = append(toks, token{tPunct, "=", col})
			default:
				return nil, &SyntaxError{col, `unexpected "!" (did you mean !=?)`}
			}
			i++
		case strings.ContainsRune("{},%/", r):
			toks = append(toks, token{tPunct, string(r), col})
			i++
		default:
			return nil, &SyntaxError{col, "unexpected character " + strconv.QuoteRune(r)}
		}
	}
	return append(toks, token{kind: tEOF, col: len(rs) + 1}), nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) is(k tokKind, text string) bool {
	t := p.peek()
	return t.kind == k && t.text == text
}

func errAt(t token, format string, args ...any) error {
	return &SyntaxError{t.col, fmt.Sprintf(format, args...)}
}

func (p *parser) objective() (*Objective, error) {
	o := &Objective{}
	t := p.next()
	if t.kind == tEOF {
		return nil, errAt(t, "empty objective: expected a metric, e.g. latency p95 < 2s")
	}
	if t.kind != tWord || !startsWithLetter(t.text) {
		return nil, errAt(t, "expected a metric name, got %s", t.describe())
	}
	m, ok := metrics[t.text]
	if !ok {
		return nil, errAt(t, "%s", unknownMetric(t.text))
	}
	o.Metric = m.name

	if p.is(tPunct, "{") {
		labels, err := p.selector(m)
		if err != nil {
			return nil, err
		}
		o.Labels = labels
	}

	if t := p.peek(); t.kind == tWord && startsWithLetter(t.text) && t.text != "over" {
		p.next()
		if m.kind != duration {
			return nil, errAt(t, "%s takes no statistic (got %s)", m.name, quote(t.text))
		}
		stat, err := parseStat(t.text)
		if err != nil {
			return nil, errAt(t, "%v", err)
		}
		o.Stat = stat
	} else if m.kind == duration {
		return nil, errAt(t, "%s needs a statistic before %s: p50, p95, p99, p99.9, avg, min or max", m.name, t.describe())
	}

	if p.is(tWord, "over") {
		p.next()
		w, err := p.window()
		if err != nil {
			return nil, err
		}
		o.Window = w
	}

	t = p.next()
	if t.kind != tOp {
		msg := "expected a comparison (<, <=, >, >=, ==, !=), got " + t.describe()
		if t.kind == tPunct && t.text == "=" {
			msg += " (use == for equality)"
		}
		return nil, errAt(t, "%s", msg)
	}
	o.Op = t.text

	if err := p.threshold(m, o); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t, "unexpected %s after the threshold", t.describe())
	}
	return o, nil
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || r == '_'
}

// selector reads {label=value, …}; the opening brace is next.
func (p *parser) selector(m *metric) (map[string]string, error) {
	open := p.next()
	labels := map[string]string{}
	if p.is(tPunct, "}") {
		p.next()
		return labels, nil
	}
	for {
		name := p.next()
		switch {
		case name.kind == tEOF:
			return nil, errAt(open, "unclosed {")
		case name.kind != tWord:
			return nil, errAt(name, "expected a label name, got %s", name.describe())
		case !contains(m.labels, name.text):
			msg := fmt.Sprintf("unknown label %s for %s", quote(name.text), m.name)
			if s := suggest.Closest(name.text, m.labels); s != "" {
				msg += " (did you mean " + s + "?)"
			} else {
				msg += " (known: " + strings.Join(m.labels, ", ") + ")"
			}
			return nil, errAt(name, "%s", msg)
		}
		if _, dup := labels[name.text]; dup {
			return nil, errAt(name, "label %s given twice", quote(name.text))
		}
		if t := p.next(); t.kind != tPunct || t.text != "=" {
			return nil, errAt(t, "expected = after label %s, got %s", quote(name.text), t.describe())
		}
		v := p.next()
		if v.kind != tWord && v.kind != tString {
			return nil, errAt(v, "expected a value for label %s, got %s", quote(name.text), v.describe())
		}
		if v.text == "" {
			return nil, errAt(v, "empty value for label %s", quote(name.text))
		}
		labels[name.text] = v.text
		switch t := p.next(); {
		case t.kind == tPunct && t.text == "}":
			return labels, nil
		case t.kind == tPunct && t.text == ",":
		case t.kind == tEOF:
			return nil, errAt(open, "unclosed {")
		default:
			return nil, errAt(t, "expected , or } in the selector, got %s", t.describe())
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseStat validates a statistic and returns its canonical spelling.
func parseStat(s string) (string, error) {
	switch s {
	case "avg", "mean":
		return "avg", nil
	case "min", "max":
		return s, nil
	}
	if rest, ok := strings.CutPrefix(s, "p"); ok && rest != "" {
		if n, ok := splitNumber(rest); ok && n == len(rest) {
			q, err := strconv.ParseFloat(rest, 64)
			if err != nil || q <= 0 || q > 100 {
				return "", fmt.Errorf("percentile must be above 0 and at most 100 (got %s)", s)
			}
			return "p" + strconv.FormatFloat(q, 'f', -1, 64), nil
		}
	}
	return "", fmt.Errorf("unknown statistic %s (use p50, p95, p99, p99.9, avg, min or max)", quote(s))
}

// percentile returns the percentile of a canonical stat ("p99.9" → 99.9).
func percentile(stat string) (float64, bool) {
	rest, ok := strings.CutPrefix(stat, "p")
	if !ok {
		return 0, false
	}
	q, err := strconv.ParseFloat(rest, 64)
	return q, err == nil && q > 0 && q <= 100
}

// splitNumber returns the length of the decimal number (digits, optionally
// a point and more digits) at the start of s.
func splitNumber(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i, true
}

// quantity reads a number and the unit that follows it: in the same word
// ("250ms"), as the next word ("250 ms"), or as % or /word ("1%", "100/s").
// unit is "" when none follows.
func (p *parser) quantity(what string) (num float64, unit string, start token, err error) {
	start = p.next()
	if start.kind != tWord {
		return 0, "", start, errAt(start, "expected %s, got %s", what, start.describe())
	}
	n, ok := splitNumber(start.text)
	if !ok {
		return 0, "", start, errAt(start, "expected %s, got %s", what, start.describe())
	}
	num, err = strconv.ParseFloat(start.text[:n], 64)
	if err != nil || math.IsInf(num, 0) {
		return 0, "", start, errAt(start, "number %s out of range", start.text[:n])
	}
	unit = start.text[n:]
	if unit != "" {
		return num, unit, start, nil
	}
	switch t := p.peek(); {
	case t.kind == tPunct && t.text == "%":
		p.next()
		unit = "%"
	case t.kind == tPunct && t.text == "/":
		p.next()
		u := p.next()
		if u.kind != tWord {
			return 0, "", start, errAt(u, "expected s or m after /, got %s", u.describe())
		}
		unit = "/" + u.text
	case t.kind == tWord && startsWithLetter(t.text):
		p.next()
		unit = t.text
	}
	return num, unit, start, nil
}

// window reads the duration after "over".
func (p *parser) window() (time.Duration, error) {
	n, unit, start, err := p.quantity("a window length such as 1m")
	if err != nil {
		return 0, err
	}
	scale, ok := durationUnits[unit]
	if !ok {
		return 0, errAt(start, "window %s needs a duration unit: ns, µs, ms, s, m or h", quote(start.text+unit))
	}
	secs := n * scale
	whole := math.Round(secs)
	switch {
	case secs > maxWindow.Seconds():
		return 0, errAt(start, "window longer than 24h")
	case whole < 1 || math.Abs(secs-whole) > 1e-9:
		return 0, errAt(start, "window must be a whole number of seconds, at least 1s (got %s)",
			formatNumber(n)+canonicalUnit(unit))
	}
	return time.Duration(whole) * time.Second, nil
}

// threshold reads the number and unit after the comparison into o.
func (p *parser) threshold(m *metric, o *Objective) error {
	n, unit, start, err := p.quantity("a number")
	if err != nil {
		return err
	}
	switch m.kind {
	case duration:
		scale, ok := durationUnits[unit]
		if !ok {
			return errAt(start, "%s threshold needs a duration unit: ns, µs, ms, s, m or h (e.g. 250ms)", m.name)
		}
		o.Threshold, o.Unit = n*scale, canonicalUnit(unit)
	case ratio:
		if unit != "%" {
			return errAt(start, "%s threshold needs a percentage, e.g. 1%%", m.name)
		}
		if n > 100 {
			return errAt(start, "%s threshold above 100%%", m.name)
		}
		o.Threshold, o.Unit = n/100, "%"
	case rate:
		if unit == "" {
			unit = "/s"
		}
		scale, ok := rateUnits[unit]
		if !ok {
			return errAt(start, "%s threshold takes /s or /m, not %s", m.name, quote(unit))
		}
		o.Threshold, o.Unit = n*scale, unit
	case count:
		if unit != "" {
			return errAt(start, "%s threshold is a plain number, without unit %s", m.name, quote(unit))
		}
		o.Threshold = n
	}
	if math.IsInf(o.Threshold, 0) {
		return errAt(start, "number %s out of range", start.text)
	}
	return nil
}

// String is o in canonical form: labels sorted, values quoted only where
// they must be, "mean" as "avg", and the threshold in its unit with the
// unit always written (rate: "/s"). Parse(o.String()) gives o back.
func (o *Objective) String() string {
	var b strings.Builder
	b.WriteString(o.Metric)
	if len(o.Labels) > 0 {
		b.WriteString(selectorString(o.Labels))
	}
	if o.Stat != "" {
		b.WriteString(" " + o.Stat)
	}
	if o.Window > 0 {
		b.WriteString(" over " + windowString(o.Window))
	}
	b.WriteString(" " + o.Op + " ")
	k := count
	if m, ok := metrics[o.Metric]; ok {
		k = m.kind
	}
	unit, scale := unitOf(k, o.Unit)
	b.WriteString(formatNumber(o.Threshold/scale) + unit)
	return b.String()
}

// unitOf returns the unit values of kind k are printed in (u, or the
// kind's default when u does not fit) and its size in base units.
func unitOf(k kind, u string) (string, float64) {
	switch k {
	case duration:
		if s, ok := durationUnits[u]; ok {
			return canonicalUnit(u), s
		}
		return "s", 1
	case ratio:
		return "%", 0.01
	case rate:
		if s, ok := rateUnits[u]; ok {
			return u, s
		}
		return "/s", 1
	}
	return "", 1
}

// selectorString is labels as written in an expression: {a=b,c="d e"}.
func selectorString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + labelValue(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// labelValue writes v bare when it reads back as one word, else quoted.
func labelValue(v string) string {
	if v == "" {
		return `""`
	}
	for _, r := range v {
		if !isWordRune(r) {
			return strconv.Quote(v)
		}
	}
	return v
}

// windowString writes a window in the largest unit that divides it.
func windowString(w time.Duration) string {
	switch {
	case w%time.Hour == 0:
		return strconv.FormatInt(int64(w/time.Hour), 10) + "h"
	case w%time.Minute == 0:
		return strconv.FormatInt(int64(w/time.Minute), 10) + "m"
	case w%time.Second == 0:
		return strconv.FormatInt(int64(w/time.Second), 10) + "s"
	}
	return w.String()
}

// formatNumber writes a threshold without float noise (0.29, not
// 0.29000000000000004) and without exponent.
func formatNumber(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		r = x
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
