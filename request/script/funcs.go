package script

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/mayfly-perf/mayfly/feed"
	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/request"
)

// state is what one iteration's templates read. A renderer holds one and
// resets it at the start of every iteration.
type state struct {
	rand *rand.Rand
	n    uint64
	vu   int
	vars map[string]string
	// rows caches, per feeder (by index in compiled.feeders), the row of
	// this iteration: a row is chosen once per iteration and feeder.
	rows []feed.Row
	have []bool
	// missed lists the extractions of this iteration that did not match,
	// to explain a later {{var}} of their variable.
	missed []*extractor
}

// renderer renders the templates of one scenario for one iteration at a
// time. text/template binds functions when a template is parsed, so each
// renderer has its own parsed copies whose functions read its own state;
// renderers are pooled, so parsing happens only when the pool is empty.
type renderer struct {
	c     *compiled
	tmpls []*template.Template // by source index
	st    state
	buf   bytes.Buffer // scratch for rendering strings
	body  []byte       // the body of the request being built
	req   load.Request // the request being built (load does not keep it after Do)
	hdr   []load.Header
}

func newRenderer(c *compiled) (*renderer, error) {
	r := &renderer{c: c, tmpls: make([]*template.Template, len(c.sources))}
	r.st.rows = make([]feed.Row, len(c.feeders))
	r.st.have = make([]bool, len(c.feeders))
	funcs := template.FuncMap{
		"feed":      r.feed,
		"var":       r.variable,
		"randInt":   r.randInt,
		"pick":      r.pick,
		"uuid":      r.uuid,
		"now":       now,
		"unix":      func() int64 { return time.Now().Unix() },
		"unixMilli": func() int64 { return time.Now().UnixMilli() },
		"seq":       func() uint64 { return r.st.n },
		"vu":        func() int { return r.st.vu },
		"json":      jsonText,
		"base64":    base64Text,
	}
	for i, src := range c.sources {
		t, err := request.Parse(src.field, src.text, funcs)
		if err != nil {
			return nil, fmt.Errorf("request %q: %s: %w", src.request, src.field, err)
		}
		r.tmpls[i] = t
	}
	return r, nil
}

// begin prepares r for an iteration.
func (r *renderer) begin(rnd *rand.Rand, n uint64, vu int, vars map[string]string) {
	r.st.rand, r.st.n, r.st.vu, r.st.vars = rnd, n, vu, vars
	clear(r.st.have)
	r.st.missed = r.st.missed[:0]
}

// end drops r's references to the iteration before r goes back to the pool.
func (r *renderer) end() {
	r.st.rand, r.st.vars = nil, nil
	clear(r.st.rows)
	clear(r.st.missed)
	r.st.missed = r.st.missed[:0]
}

// funcError marks an error of one of the language's functions, so that
// render can report it without text/template's wrapping.
type funcError struct{ err error }

func (e *funcError) Error() string { return e.err.Error() }
func (e *funcError) Unwrap() error { return e.err }

func fail(format string, args ...any) error {
	return &funcError{fmt.Errorf(format, args...)}
}

// render executes text t (a static text is returned as is).
func (r *renderer) render(t *text) (string, error) {
	if t.src < 0 {
		return t.static, nil
	}
	r.buf.Reset()
	if err := r.tmpls[t.src].Execute(&r.buf, nil); err != nil {
		return "", renderError(t, err)
	}
	return r.buf.String(), nil
}

// renderBody executes the body template into r.body, which is valid until
// the next renderBody.
func (r *renderer) renderBody(t *text) ([]byte, error) {
	if t.src < 0 {
		return t.staticBytes, nil
	}
	r.buf.Reset()
	if err := r.tmpls[t.src].Execute(&r.buf, nil); err != nil {
		return nil, renderError(t, err)
	}
	r.body = append(r.body[:0], r.buf.Bytes()...)
	return r.body, nil
}

// renderError names the field; an error of one of our functions is shown
// without text/template's "template: ...: executing ... error calling".
func renderError(t *text, err error) error {
	var fe *funcError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", t.field, fe.err)
	}
	return fmt.Errorf("%s: %w", t.field, err)
}

// feed is {{feed "feeder" "column"}}.
func (r *renderer) feed(name, column string) (string, error) {
	i, ok := r.c.feederIndex[name]
	if !ok {
		return "", fail("no feeder %q", name)
	}
	if !r.st.have[i] {
		row, err := r.c.feeders[i].Row(r.st.n)
		if err != nil {
			return "", &funcError{err}
		}
		r.st.rows[i], r.st.have[i] = row, true
	}
	v, ok := r.st.rows[i].Get(column)
	if !ok {
		return "", fail("feeder %q has no column %q (it has %q)", name, column, r.c.feeders[i].Columns())
	}
	return v, nil
}

// variable is {{var "name"}}.
func (r *renderer) variable(name string) (string, error) {
	if v, ok := r.st.vars[name]; ok {
		return v, nil
	}
	for i := len(r.st.missed) - 1; i >= 0; i-- {
		if x := r.st.missed[i]; x.v == name {
			return "", fail("var %q is not set: %s did not match", name, x)
		}
	}
	return "", fail("var %q is not set (no earlier request of the iteration extracted it)", name)
}

// randInt is {{randInt a b}}: an integer in [a, b].
func (r *renderer) randInt(a, b any) (int64, error) {
	lo, err := toInt(a)
	if err != nil {
		return 0, fail("randInt: first argument: %v", err)
	}
	hi, err := toInt(b)
	if err != nil {
		return 0, fail("randInt: second argument: %v", err)
	}
	if lo > hi {
		return 0, fail("randInt %d %d: the first bound is above the second", lo, hi)
	}
	span := uint64(hi-lo) + 1 // wraps to 0 for the whole int64 range
	if span == 0 {
		return int64(r.st.rand.Uint64()), nil
	}
	return lo + int64(r.st.rand.Uint64N(span)), nil
}

// toInt accepts what a template may pass for an integer: a constant, a
// number from another function, or a string such as a feeder's value.
func toInt(v any) (int64, error) {
	switch v := v.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("%d is too large", v)
		}
		return int64(v), nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) >= 1<<63 {
			return 0, fmt.Errorf("%v is not an integer", v)
		}
		return int64(v), nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
}

// pick is {{pick a b ...}}.
func (r *renderer) pick(choices ...any) (any, error) {
	if len(choices) == 0 {
		return nil, fail("pick needs at least one argument")
	}
	return choices[r.st.rand.IntN(len(choices))], nil
}

// uuid is {{uuid}}: a version 4 (random) UUID from the iteration's
// generator.
func (r *renderer) uuid() string {
	var b [16]byte
	x, y := r.st.rand.Uint64(), r.st.rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(x>>(8*i)), byte(y>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // the RFC 4122 variant
	const hex = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(s[:])
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

// jsonText is {{json x}}: x encoded as JSON.
func jsonText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return string(appendJSONString(nil, v)), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "null", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fail("json: %v", err)
	}
	return string(b), nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD (as encoding/json does); HTML characters are left alone, since
// the text goes into a request body, not a web page.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript: escape as encoding/json does.
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// base64Text is {{base64 x}}: x (as printed) in standard base64.
func base64Text(v any) string {
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}
