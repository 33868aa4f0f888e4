package script

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/plan"
)

// maxShown caps how much of a response value an error quotes.
const maxShown = 80

// newCheck returns the load.Request.Check for a request's expectations
// beyond its status, or nil when there are none. The error names the first
// expectation that failed.
func newCheck(e plan.Expect) (func(*load.Response) error, error) {
	if len(e.BodyContains) == 0 && len(e.JSON) == 0 {
		return nil, nil
	}
	contains := make([][]byte, len(e.BodyContains))
	for i, s := range e.BodyContains {
		contains[i] = []byte(s)
	}
	checks := make([]jsonCheck, len(e.JSON))
	for i, c := range e.JSON {
		jc, err := newJSONCheck(c)
		if err != nil {
			return nil, err
		}
		checks[i] = jc
	}
	return func(resp *load.Response) error {
		for i, sub := range contains {
			if !bytes.Contains(resp.Body, sub) {
				return fmt.Errorf("body does not contain %s", shorten(strconv.Quote(e.BodyContains[i])))
			}
		}
		for i := range checks {
			if err := checks[i].check(resp.Body); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// jsonCheck asserts that the value at path equals want. want is one of
// string, int64, uint64, float64, bool or nil.
type jsonCheck struct {
	path string
	want any
}

func newJSONCheck(c plan.JSONCheck) (jsonCheck, error) {
	want := c.Value
	switch v := want.(type) {
	case string, int64, uint64, float64, bool, nil:
	case int:
		want = int64(v)
	case int32:
		want = int64(v)
	case uint:
		want = uint64(v)
	case uint32:
		want = uint64(v)
	case float32:
		want = float64(v)
	default:
		return jsonCheck{}, fmt.Errorf("json check %q: value %v is a %T: want a string, number, boolean or null", c.Path, v, v)
	}
	if c.Path == "" {
		return jsonCheck{}, errors.New("json check: empty path")
	}
	return jsonCheck{path: c.Path, want: want}, nil
}

func (c *jsonCheck) check(body []byte) error {
	got := gjson.GetBytes(body, c.path)
	if !got.Exists() {
		if !gjson.ValidBytes(body) {
			return fmt.Errorf("json %s: want %s, but the body is not JSON", c.path, showWant(c.want))
		}
		return fmt.Errorf("json %s: want %s, got nothing (no such path)", c.path, showWant(c.want))
	}
	if equal(got, c.want) {
		return nil
	}
	return fmt.Errorf("json %s: want %s, got %s", c.path, showWant(c.want), shorten(got.Raw))
}

// equal compares a JSON value with a plan's value: numbers numerically
// (exactly for integers), strings exactly, booleans and null by type.
func equal(got gjson.Result, want any) bool {
	switch w := want.(type) {
	case nil:
		return got.Type == gjson.Null
	case bool:
		return (got.Type == gjson.True && w) || (got.Type == gjson.False && !w)
	case string:
		return got.Type == gjson.String && got.Str == w
	case int64:
		if got.Type != gjson.Number {
			return false
		}
		if n, err := strconv.ParseInt(got.Raw, 10, 64); err == nil {
			return n == w
		}
		return got.Num == float64(w) && math.Abs(got.Num) < 1<<53
	case uint64:
		if got.Type != gjson.Number {
			return false
		}
		if n, err := strconv.ParseUint(got.Raw, 10, 64); err == nil {
			return n == w
		}
		return got.Num == float64(w) && got.Num < 1<<53
	case float64:
		return got.Type == gjson.Number && got.Num == w
	}
	return false
}

func showWant(v any) string {
	switch v := v.(type) {
	case string:
		return shorten(string(appendJSONString(nil, v)))
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// shorten cuts s to maxShown bytes (on a character boundary).
func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// extractor takes a value from a response into a variable.
type extractor struct {
	v       string // the variable
	from    string // json, header or regex
	expr    string
	re      *regexp.Regexp
	request string // the request it belongs to, for messages
}

func newExtractor(request string, x plan.Extract) (*extractor, error) {
	e := &extractor{v: x.Var, from: x.From, expr: x.Expr, request: request}
	if x.Var == "" {
		return nil, fmt.Errorf("extract from %s %q: no variable name", x.From, x.Expr)
	}
	switch x.From {
	case "json", "header":
		if x.Expr == "" {
			return nil, fmt.Errorf("extract %q: empty %s expression", x.Var, x.From)
		}
	case "regex":
		re, err := regexp.Compile(x.Expr)
		if err != nil {
			return nil, fmt.Errorf("extract %q: %w", x.Var, err)
		}
		e.re = re
	default:
		return nil, fmt.Errorf("extract %q: unknown source %q (want json, header or regex)", x.Var, x.From)
	}
	return e, nil
}

// String describes the extraction for error messages.
func (e *extractor) String() string {
	return fmt.Sprintf("extract %s %q of request %q", e.from, e.expr, e.request)
}

// needsBody says whether the extraction reads the body.
func (e *extractor) needsBody() bool { return e.from != "header" }

// extract returns the value, ok=false when there is none: a missing JSON
// path or a JSON null, an absent or empty header, no regexp match. A JSON
// string gives its text, any other JSON value its JSON text (numbers as
// spelled in the response). A regexp gives its first group, or the whole
// match when it has no group.
func (e *extractor) extract(resp *load.Response) (string, bool) {
	switch e.from {
	case "json":
		got := gjson.GetBytes(resp.Body, e.expr)
		switch {
		case !got.Exists() || got.Type == gjson.Null:
			return "", false
		case got.Type == gjson.String:
			return got.Str, true // GetBytes copies: no reference to the body remains
		default:
			return got.Raw, true
		}
	case "header":
		v := resp.Header(e.expr)
		return v, v != ""
	case "regex":
		m := e.re.FindSubmatch(resp.Body)
		if m == nil {
			return "", false
		}
		if len(m) > 1 {
			return string(m[1]), true
		}
		return string(m[0]), true
	}
	return "", false
}
