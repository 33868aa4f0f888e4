package plan

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/mayfly-perf/mayfly/request"
	"github.com/mayfly-perf/mayfly/slo"
)

// This file checks the text inside scalars — request templates and SLO
// expressions — and points errors at the exact place in the file.

// templatePos finds a "line:col:" that request.CheckTemplate's error may
// start with (also inside text/template's "template: name:line:col:").
var templatePos = regexp.MustCompile(`^(?:template: [^:]*:)?(\d+):(?:(\d+):)?\s*`)

// action finds a template's actions, {{ … }}, and feedRef the feeders an
// action names: {{feed "users" "name"}} or {{feed `users` `name`}}.
var (
	action  = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	feedRef = regexp.MustCompile("\\bfeed\\s+(?:\"([^\"]*)\"|`([^`]*)`)")
)

// template checks the syntax of a template held by n (the text is n's
// value, possibly trimmed by the caller to a part starting at offset) and
// that every feeder it names exists.
func (p *parser) template(n *yaml.Node, path, text string, offset int, feeders map[string]bool) {
	if err := request.CheckTemplate(text); err != nil {
		msg := err.Error()
		line, col := 0, 0
		if m := templatePos.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			col, _ = strconv.Atoi(m[2])
			if col == 0 {
				col = 1
			}
			if rest := msg[len(m[0]):]; rest != "" {
				msg = rest
			}
		}
		if line == 1 {
			col += offset
		}
		p.errInside(n, path, line, col, "template: "+msg)
	}
	if feeders == nil {
		return
	}
	var refs [][]int // start and end of each feeder name in text
	for _, a := range action.FindAllStringIndex(text, -1) {
		for _, m := range feedRef.FindAllStringSubmatchIndex(text[a[0]:a[1]], -1) {
			if m[2] < 0 {
				m[2], m[3] = m[4], m[5]
			}
			refs = append(refs, []int{a[0] + m[2], a[0] + m[3]})
		}
	}
	for _, ref := range refs {
		start, end := ref[0], ref[1]
		name := text[start:end]
		if feeders[name] {
			continue
		}
		at := strings.Count(text[:start], "\n") + 1
		lineStart := strings.LastIndex(text[:start], "\n") + 1
		col := start - lineStart + 1
		if at == 1 {
			col += offset
		}
		p.errInside(n, path, at, col, "template uses feeder "+strconv.Quote(name)+", which is not defined"+didYouMean(name, sortedKeys(feeders)))
	}
}

// sloExpr parses an SLO expression held by n.
func (p *parser) sloExpr(n *yaml.Node, path, expr string) (*slo.Objective, bool) {
	obj, err := slo.Parse(expr)
	if err == nil {
		return obj, true
	}
	var syn *slo.SyntaxError
	if errors.As(err, &syn) {
		// Col counts characters; errInside wants bytes.
		if i := runeOffset(expr, syn.Col-1); syn.Col > 0 && i >= 0 {
			p.errInside(n, path, 1, i+1, syn.Msg)
			return nil, false
		}
	}
	p.errorf(n, path, "%v", err)
	return nil, false
}

// errInside records msg at line:col (1-based, col in bytes) of n's value,
// translated to the file's line and column when the scalar's source can be
// followed there, else at n.
func (p *parser) errInside(n *yaml.Node, path string, line, col int, msg string) {
	if l, c, ok := p.scalarPos(n, line, col); ok {
		p.errAt(l, c, path, msg)
		return
	}
	if line > 0 {
		msg = "at " + strconv.Itoa(line) + ":" + strconv.Itoa(col) + " of the value: " + msg
	}
	p.errorf(n, path, "%s", msg)
}

// scalarPos maps line:col (1-based; col in bytes of the decoded value) to
// the file position (col in characters, like yaml.v3's). It knows scalars
// on one line (plain, 'single' or "double" quoted) and literal blocks (|);
// for any other it returns ok=false.
func (p *parser) scalarPos(n *yaml.Node, line, col int) (fileLine, fileCol int, ok bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || line < 1 || col < 1 || n.Line < 1 || n.Line > len(p.lines) {
		return 0, 0, false
	}
	style := n.Style &^ yaml.TaggedStyle
	switch style {
	case 0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if line != 1 || strings.Contains(n.Value, "\n") {
			return 0, 0, false
		}
		src := skipRunes(p.lines[n.Line-1], n.Column-1)
		if c, ok := rawColumn(src, style, n.Value, col-1); ok {
			return n.Line, n.Column + c, true
		}
	case yaml.LiteralStyle:
		// The block's content starts on the line after the | indicator,
		// indented by the indentation of its first non-empty line.
		indent := -1
		for i := n.Line; i < len(p.lines); i++ {
			if t := strings.TrimLeft(p.lines[i], " "); t != "" {
				indent = len(p.lines[i]) - len(t)
				break
			}
		}
		want := strings.Split(n.Value, "\n")
		l := n.Line + line // 1-based file line of the template's line
		if indent < 0 || line > len(want) || l > len(p.lines) {
			return 0, 0, false
		}
		src := p.lines[l-1]
		if len(src) < indent || src[indent:] != want[line-1] || col-1 > len(want[line-1]) {
			return 0, 0, false
		}
		return l, indent + 1 + utf8.RuneCountInString(want[line-1][:col-1]), true
	}
	return 0, 0, false
}

// skipRunes drops the first n characters of s.
func skipRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[i:]
		}
		n--
	}
	return ""
}

// rawColumn returns the offset, in characters from the start of a
// one-line scalar's source src, of the character that decodes to byte off
// of value. It fails when the source does not decode to value, so that a
// wrong guess is never shown.
func rawColumn(src string, style yaml.Style, value string, off int) (int, bool) {
	if off > len(value) {
		return 0, false
	}
	if style == 0 {
		if !strings.HasPrefix(src, value) {
			return 0, false
		}
		return utf8.RuneCountInString(value[:off]), true
	}
	decoded, at, ok := unquote(src, style)
	if !ok || decoded != value {
		return 0, false
	}
	return at[off], true
}

// doubleQuoteEscapes are YAML's one-letter escapes in "double quoted"
// scalars and what they stand for.
var doubleQuoteEscapes = map[byte]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v",
	'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '/': "/", '\\': "\\",
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

// unquote decodes the quoted scalar at the start of src (one line), and
// returns for each byte of the result, and one past its end, the offset in
// characters of the source that produced it.
func unquote(src string, style yaml.Style) (string, []int, bool) {
	quote := byte('\'')
	if style == yaml.DoubleQuotedStyle {
		quote = '"'
	}
	if src == "" || src[0] != quote {
		return "", nil, false
	}
	var b strings.Builder
	var at []int
	emit := func(s string, raw int) {
		b.WriteString(s)
		for range len(s) {
			at = append(at, raw)
		}
	}
	raw := 1 // characters of src consumed
	for i := 1; i < len(src); {
		_, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case src[i] == quote && quote == '\'' && strings.HasPrefix(src[i:], "''"):
			emit("'", raw)
			i, raw = i+2, raw+2
		case src[i] == quote:
			at = append(at, raw)
			return b.String(), at, true
		case src[i] == '\\' && quote == '"':
			if i+1 >= len(src) {
				return "", nil, false
			}
			if s, known := doubleQuoteEscapes[src[i+1]]; known {
				emit(s, raw)
				i, raw = i+2, raw+2
				continue
			}
			hex := map[byte]int{'x': 2, 'u': 4, 'U': 8}[src[i+1]]
			if hex == 0 || i+2+hex > len(src) {
				return "", nil, false
			}
			v, err := strconv.ParseUint(src[i+2:i+2+hex], 16, 32)
			if err != nil || !utf8.ValidRune(rune(v)) {
				return "", nil, false
			}
			emit(string(rune(v)), raw)
			i, raw = i+2+hex, raw+2+hex
		default:
			emit(src[i:i+size], raw)
			i, raw = i+size, raw+1
		}
	}
	return "", nil, false // no closing quote on this line
}

// sortedKeys lists a set's members in order, so that suggestions are
// deterministic.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runeOffset is the byte offset of the n-th character of s (0-based), or
// -1 if s is shorter.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	if n == 0 {
		return len(s)
	}
	return -1
}
