package plan

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file reads YAML nodes: the document, mappings with their keys
// checked, and typed scalars. Every problem becomes an Error at the node's
// position; the readers return ok=false and the caller carries on, so that
// one pass finds every problem of the plan.

// maxNodes bounds the size of a plan after expanding YAML aliases, so that
// a few lines of nested aliases ("billion laughs") cannot exhaust memory.
const maxNodes = 1_000_000

// parser holds what reading one plan needs: where it came from (for
// messages and positions inside scalars) and the problems found so far.
type parser struct {
	file string
	// lines is the source split into lines, to find positions inside a
	// scalar (a template's error, an SLO's syntax error); nil when the
	// source has line breaks other than \n and \r\n, where yaml's line
	// numbers and ours could disagree.
	lines []string
	errs  Errors
}

func newParser(file string, data []byte) *parser {
	p := &parser{file: file}
	if !hasOddBreaks(data) {
		text := strings.TrimPrefix(string(data), "\ufeff")
		p.lines = strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	}
	return p
}

// hasOddBreaks reports line breaks YAML counts but a split on \n does not:
// a lone \r, NEL, LS or PS.
func hasOddBreaks(data []byte) bool {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.ContainsAny(s, "\r\u0085\u2028\u2029")
}

// errorf records a problem at n's position.
func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	// A nil node is a value that does not come from a file (quick mode).
	line, col := 0, 0
	if n != nil {
		line, col = max(n.Line, 1), max(n.Column, 1)
	}
	p.errAt(line, col, field, fmt.Sprintf(format, args...))
}

func (p *parser) errAt(line, col int, field, msg string) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Field: field, Msg: msg})
}

// yamlLine finds the line number in yaml.v3's error texts ("yaml: line 3:
// did not find expected key"). yaml.v3 leaves the line out for problems on
// the first line.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// document decodes data into the root mapping of the plan, or returns nil
// after recording why it could not.
func (p *parser) document(data []byte) (root *yaml.Node) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := p.decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errAt(1, 1, "", "the plan is empty")
			return nil
		}
		p.yamlError(err)
		return nil
	}
	var next yaml.Node
	switch err := p.decode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.errorf(&next, "", "a plan is a single YAML document; remove the second one (after ---)")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.errAt(1, 1, "", "the plan is empty")
		return nil
	}
	if at, why := aliasProblem(doc.Content[0]); why != "" {
		p.errorf(at, "", "%s", why)
		return nil
	}
	root = deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "a plan must be a mapping (name: …, scenarios: …), got %s", describe(root))
		return nil
	}
	return root
}

// decode is dec.Decode, turning a panic of the YAML library into an error:
// a plan must never crash the program that reads it.
func (p *parser) decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			if l, convErr := strconv.Atoi(m[1]); convErr == nil && l > 0 {
				line = l
			}
		}
		msg = msg[len(m[0]):]
	}
	// yaml.v3 knows the line but not reliably the column: leave it out
	// rather than point at the wrong one.
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "invalid YAML: " + msg})
}

// aliasProblem checks what aliases make of the tree under root: an alias
// inside the node it names would have the parser loop forever, and a few
// lines of nested aliases can expand to billions of nodes. It returns the
// node to blame and why, or nil.
func aliasProblem(root *yaml.Node) (*yaml.Node, string) {
	const (
		cycle   = "an alias refers to a node that contains it"
		tooMany = "the plan is too large once its aliases are expanded"
	)
	// sizes memoizes the expanded size of finished nodes; -1 marks the
	// nodes being counted, the ancestors of the current one.
	sizes := map[*yaml.Node]int{}
	var at *yaml.Node
	var why string
	var count func(n *yaml.Node) int
	count = func(n *yaml.Node) int {
		if s, seen := sizes[n]; seen {
			if s < 0 {
				why = cycle
			}
			return s
		}
		sizes[n] = -1
		kids := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			kids = []*yaml.Node{n.Alias}
		}
		total := 1
		for _, c := range kids {
			s := count(c)
			if why != "" {
				if at == nil {
					at = n // the innermost node: for a cycle, the alias
				}
				return -1
			}
			if total += s; total > maxNodes {
				at, why = n, fmt.Sprintf("%s (more than %d nodes)", tooMany, maxNodes)
				return -1
			}
		}
		sizes[n] = total
		return total
	}
	count(root)
	return at, why
}

// deref follows aliases to the node they name. aliasProblem has ruled out
// cycles before any call; the bound is a second guard.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node is, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "nothing"
	}
	if v := []rune(n.Value); len(v) > 40 {
		return strconv.Quote(string(v[:37]) + "...")
	}
	return strconv.Quote(n.Value)
}

// object is a YAML mapping being read: its values by key, in file order.
type object struct {
	path  string     // the field path of the mapping, e.g. "scenarios.browse"
	at    *yaml.Node // where to point for a missing field
	keys  []*yaml.Node
	vals  map[string]*yaml.Node
	keyOf map[string]*yaml.Node // the key node of each name in vals
}

// object reads n as a mapping whose fields are known; it reports unknown
// and duplicate keys and returns nil (after recording why) when n is not a
// mapping. at is where a missing field is reported: the key that names the
// mapping, or nil for the mapping itself. Merge keys (<<: *defaults) bring
// in the fields of another mapping that n does not set itself.
func (p *parser) object(n, at *yaml.Node, path string, known []string) *object {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(cmp.Or(n, at), path, "must be a mapping, got %s", describe(n))
		return nil
	}
	if at == nil {
		at = n
	}
	o := &object{path: path, at: at, vals: map[string]*yaml.Node{}, keyOf: map[string]*yaml.Node{}}
	p.collect(o, n, known, true, 0)
	return o
}

// collect adds n's fields to o. Keys set explicitly (own) are checked for
// duplicates; merged keys only fill what is unset. Unknown keys are
// reported either way (a merged one at its place in the merged mapping).
func (p *parser) collect(o *object, n *yaml.Node, known []string, own bool, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		kd := deref(k)
		if kd.Kind != yaml.ScalarNode {
			if own {
				p.errorf(k, o.path, "a key must be a plain name, got %s", describe(kd))
			}
			continue
		}
		name := kd.Value
		if _, dup := o.vals[name]; dup {
			if own {
				p.errorf(k, join(o.path, name), "duplicate key %q (first at line %d)", name, o.key(name).Line)
			}
			continue
		}
		if known != nil && !isKnown(known, name) {
			p.errorf(k, join(o.path, name), "unknown field%s", didYouMean(name, known))
			continue
		}
		o.keys = append(o.keys, k)
		o.vals[name] = v
		o.keyOf[name] = k
	}
	// Merges of merges are fine, but no plan needs them ten deep; the
	// bound keeps a crafted file from multiplying the work.
	if depth > 10 {
		return
	}
	for _, m := range merges {
		md := deref(m)
		sources := []*yaml.Node{md}
		if md.Kind == yaml.SequenceNode {
			sources = md.Content
		}
		for _, s := range sources {
			sd := deref(s)
			if sd.Kind != yaml.MappingNode {
				p.errorf(s, o.path, "<< must merge a mapping, got %s", describe(sd))
				continue
			}
			p.collect(o, sd, known, false, depth+1)
		}
	}
}

// isKnown reports whether name is one of known, where an entry ending in
// * stands for every name it starts.
func isKnown(known []string, name string) bool {
	for _, k := range known {
		if k == name || strings.HasSuffix(k, "*") && strings.HasPrefix(name, k[:len(k)-1]) {
			return true
		}
	}
	return false
}

// join appends a key to a field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// get returns the value of key (aliases followed), or nil if unset.
func (o *object) get(key string) *yaml.Node {
	if o == nil {
		return nil
	}
	return deref(o.vals[key])
}

func (o *object) has(key string) bool {
	return o != nil && o.vals[key] != nil
}

// names lists the keys in file order (explicit ones first, then merged).
func (o *object) names() []string {
	out := make([]string, len(o.keys))
	for i, k := range o.keys {
		out[i] = deref(k).Value
	}
	return out
}

// key returns the key node of name, for errors about the field as a whole.
func (o *object) key(name string) *yaml.Node {
	if k := o.keyOf[name]; k != nil {
		return k
	}
	return o.at
}

// sequence reads n as a list; a single value where a list is expected is
// an error (use [x]) unless one is true, then it is a list of one.
func (p *parser) sequence(n *yaml.Node, path string, one bool) ([]*yaml.Node, bool) {
	n = deref(n)
	if n.Kind == yaml.SequenceNode {
		items := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			items[i] = deref(c)
		}
		return items, true
	}
	if one && n.Kind == yaml.ScalarNode && !isNull(n) {
		return []*yaml.Node{n}, true
	}
	p.errorf(n, path, "must be a list, got %s", describe(n))
	return nil, false
}

// str reads a scalar as text; numbers and booleans are taken as written.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "must be a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str for a field that must not be blank.
func (p *parser) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, path, "must not be empty")
		return "", false
	}
	return s, ok
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	n = deref(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.errorf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// number reads a finite int or float.
func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	var f float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil {
		p.errorf(n, path, "must be a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		p.errorf(n, path, "must be a finite number, got %s", describe(n))
		return 0, false
	}
	return f, true
}

// integer reads a whole number that fits an int (and 1e3-style floats
// whose value is whole).
func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		var i int64
		if err := n.Decode(&i); err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			p.errorf(n, path, "must be a whole number between %d and %d, got %s", math.MinInt32, math.MaxInt32, describe(n))
			return 0, false
		}
		return int(i), true
	}
	f, ok := p.number(n, path)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		p.errorf(n, path, "must be a whole number, got %s", describe(n))
		return 0, false
	}
	return int(f), true
}

// count is integer for fields that must be at least lo.
func (p *parser) count(n *yaml.Node, path string, lo int) (int, bool) {
	i, ok := p.integer(n, path)
	if ok && i < lo {
		p.errorf(n, path, "must be at least %d, got %d", lo, i)
		return 0, false
	}
	return i, ok
}

// duration reads a Go duration ("1m30s", "250ms") or a number of seconds.
// Plans have no negative durations.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" {
		p.errorf(n, path, `must be a duration like "1m30s" or a number of seconds, got %s`, describe(n))
		return 0, false
	}
	d, err := parseDuration(n.Value)
	if err != nil {
		p.errorf(n, path, "%v", err)
		return 0, false
	}
	if d < 0 {
		p.errorf(n, path, "must not be negative, got %s", describe(n))
		return 0, false
	}
	return d, true
}

// positive is duration for fields that must be greater than zero.
func (p *parser) positive(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := p.duration(n, path)
	if ok && d == 0 {
		p.errorf(n, path, "must be greater than 0")
		return 0, false
	}
	return d, ok
}

// parseDuration is time.ParseDuration that also takes a plain number as
// seconds ("1.5" is 1.5s).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	// ParseFloat also reads hex, "inf" and "nan", which are no durations.
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && !strings.ContainsAny(s, "xXpP_") {
		if math.Abs(f) >= float64(math.MaxInt64)/float64(time.Second) {
			return 0, fmt.Errorf("must be a duration of at most %v, got %q", time.Duration(math.MaxInt64), s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf(`must be a duration like "1m30s" or a number of seconds, got %q`, s)
	}
	return d, nil
}

// rateUnits are the units a rate may be written in: "100/s", "6000/m".
var rateUnits = map[string]float64{"s": 1, "m": 60, "h": 3600}

// rate reads iterations per second: a number, or a number per unit.
func (p *parser) rate(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		return p.number(n, path)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if r, err := parseRate(n.Value); err == nil {
			return r, true
		}
	}
	p.errorf(n, path, `must be a rate like 100, "100/s" or "6000/m", got %s`, describe(n))
	return 0, false
}

func parseRate(s string) (float64, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	per := 1.0
	if found {
		var ok bool
		if per, ok = rateUnits[strings.TrimSpace(unit)]; !ok {
			return 0, fmt.Errorf("unknown unit %q", unit)
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a number: %q", num)
	}
	return f / per, nil
}
