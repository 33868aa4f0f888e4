package script

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/feed"
	"github.com/mayfly-perf/mayfly/plan"
)

// testFeeders: "users" (circular, 3 rows), "once" (sequential, 2 rows)
// and "shuffled" (random, 100 rows).
func testFeeders(t testing.TB) map[string]*feed.Feeder {
	t.Helper()
	users, err := feed.New("users", []string{"name", "token"}, [][]string{{"ann", "t-ann"}, {"bob", "t-bob"}, {"cy", "t-cy"}}, feed.Circular, 1)
	if err != nil {
		t.Fatal(err)
	}
	once, err := feed.New("once", []string{"id"}, [][]string{{"a"}, {"b"}}, feed.Sequential, 1)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]string, 100)
	for i := range rows {
		rows[i] = []string{strconv.Itoa(i)}
	}
	shuffled, err := feed.New("shuffled", []string{"id"}, rows, feed.Random, 1)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*feed.Feeder{"users": users, "once": once, "shuffled": shuffled}
}

// renderText renders text as the body of a request of iteration n, with
// the iteration's generator seeded by seed and n (as load seeds it).
func renderText(t testing.TB, text string, n, seed uint64, vars map[string]string) (string, error) {
	t.Helper()
	s := &plan.Scenario{Name: "s", Requests: []*plan.Request{{Name: "r", Method: "POST", URL: "/x", Body: text}}}
	c, err := compile(s, &plan.Plan{Target: "http://127.0.0.1:1"}, testFeeders(t))
	if err != nil {
		t.Fatalf("compile %q: %v", text, err)
	}
	r, err := c.renderer()
	if err != nil {
		t.Fatal(err)
	}
	r.begin(rand.New(rand.NewPCG(seed, n)), n, 3, vars)
	defer r.end()
	req, err := r.build(c.steps[0])
	if err != nil {
		return "", err
	}
	return string(req.Body), nil
}

func TestFuncs(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tests := []struct {
		name string
		text string
		n    uint64
		vars map[string]string
		want string                 // exact output, if check is nil
		ok   func(out string) error // a property of the output
	}{
		{name: "static", text: `{"a": 1}`, want: `{"a": 1}`},
		{name: "feed", text: `{{feed "users" "name"}}`, n: 1, want: "bob"},
		{name: "feed wraps", text: `{{feed "users" "name"}}`, n: 4, want: "bob"},
		{name: "feed same row", text: `{{feed "users" "name"}}:{{feed "users" "token"}}`, n: 2, want: "cy:t-cy"},
		{name: "feed backquotes", text: "{{feed `users` `token`}}", want: "t-ann"},
		{name: "var", text: `Bearer {{var (print "token")}}`, vars: map[string]string{"token": "xyz"}, want: "Bearer xyz"},
		{name: "seq", text: `{{seq}}`, n: 41, want: "41"},
		{name: "vu", text: `{{vu}}`, want: "3"},
		{name: "json string", text: `{{json "say \"hi\"\n"}}`, want: `"say \"hi\"\n"`},
		{name: "json feed", text: `{"who": {{feed "users" "name" | json}}}`, want: `{"who": "ann"}`},
		{name: "json int", text: `{{json 42}}`, want: `42`},
		{name: "json float", text: `{{json 1.5}}`, want: `1.5`},
		{name: "json bool", text: `{{json true}}`, want: `true`},
		{name: "json randInt", text: `{{randInt 7 7 | json}}`, want: `7`},
		{name: "base64", text: `{{base64 "user:pass"}}`, want: "dXNlcjpwYXNz"},
		{name: "base64 int", text: `{{base64 12}}`, want: base64.StdEncoding.EncodeToString([]byte("12"))},
		{name: "urlquery", text: `q={{urlquery "a b&c"}}`, want: "q=a+b%26c"},
		{name: "randInt one value", text: `{{randInt 5 5}}`, want: "5"},
		{name: "randInt negative", text: `{{randInt -3 -3}}`, want: "-3"},
		{name: "randInt strings", text: `{{randInt "2" "2"}}`, want: "2"},
		{name: "randInt range", text: `{{randInt 1 3}}`, ok: func(out string) error {
			if out != "1" && out != "2" && out != "3" {
				return fmt.Errorf("%q not in [1, 3]", out)
			}
			return nil
		}},
		{name: "pick", text: `{{pick "a" 2 true}}`, ok: func(out string) error {
			if out != "a" && out != "2" && out != "true" {
				return fmt.Errorf("%q is not one of a, 2, true", out)
			}
			return nil
		}},
		{name: "pick one", text: `{{"x" | pick}}`, want: "x"},
		{name: "uuid", text: `{{uuid}}`, ok: func(out string) error {
			if !uuidRE.MatchString(out) {
				return fmt.Errorf("%q is not a version 4 UUID", out)
			}
			return nil
		}},
		{name: "now", text: `{{now}}`, ok: func(out string) error {
			ts, err := time.Parse(time.RFC3339, out)
			if err != nil || !strings.HasSuffix(out, "Z") {
				return fmt.Errorf("%q is not RFC 3339 UTC: %v", out, err)
			}
			if d := time.Since(ts); d < -time.Second || d > 2*time.Second {
				return fmt.Errorf("%q is %v from now", out, d)
			}
			return nil
		}},
		{name: "unix", text: `{{unix}}`, ok: func(out string) error {
			s, err := strconv.ParseInt(out, 10, 64)
			if err != nil || abs(s-time.Now().Unix()) > 2 {
				return fmt.Errorf("%q is not the current Unix time", out)
			}
			return nil
		}},
		{name: "unixMilli", text: `{{unixMilli}}`, ok: func(out string) error {
			ms, err := strconv.ParseInt(out, 10, 64)
			if err != nil || abs(ms-time.Now().UnixMilli()) > 2000 {
				return fmt.Errorf("%q is not the current Unix time in ms", out)
			}
			return nil
		}},
		{name: "if and with", text: `{{with feed "users" "name"}}{{if eq . "ann"}}yes{{end}}{{end}}`, want: "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderText(t, tt.text, tt.n, 1, tt.vars)
			if err != nil {
				t.Fatalf("render %q: %v", tt.text, err)
			}
			if tt.ok != nil {
				if err := tt.ok(got); err != nil {
					t.Error(err)
				}
			} else if got != tt.want {
				t.Errorf("render %q = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestFuncErrors(t *testing.T) {
	tests := []struct {
		name, text string
		vars       map[string]string
		n          uint64
		want       string
		exhausted  bool
	}{
		{name: "missing var", text: `{{var (printf "%s" "tok")}}`, want: `body: var "tok" is not set`},
		{name: "unknown column", text: `{{feed "users" (printf "%s" "email")}}`, want: `body: feeder "users" has no column "email"`},
		{name: "unknown feeder", text: `{{feed (printf "%s" "nobody") "x"}}`, want: `body: no feeder "nobody"`},
		{name: "exhausted", text: `{{feed "once" "id"}}`, n: 2, want: `feeder "once": feeder exhausted`, exhausted: true},
		{name: "randInt reversed", text: `{{randInt 3 1}}`, want: "randInt 3 1: the first bound is above the second"},
		{name: "randInt not a number", text: `{{randInt "x" 1}}`, want: `randInt: first argument: "x" is not an integer`},
		{name: "randInt fraction", text: `{{randInt 1 2.5}}`, want: "randInt: second argument: 2.5 is not an integer"},
		{name: "builtin error", text: `{{index "ab" 5}}`, want: "body: template: body:1:2: executing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderText(t, tt.text, tt.n, 1, tt.vars)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render %q: error %v, want one containing %q", tt.text, err, tt.want)
			}
			if errors.Is(err, feed.ErrExhausted) != tt.exhausted {
				t.Errorf("errors.Is(err, ErrExhausted) = %v, want %v", !tt.exhausted, tt.exhausted)
			}
		})
	}
}

// TestRandIntCoversRange: both bounds are reachable (inclusive).
func TestRandIntCoversRange(t *testing.T) {
	seen := map[string]bool{}
	for n := range uint64(200) {
		got, err := renderText(t, `{{randInt 1 4}}`, n, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	for _, v := range []string{"1", "2", "3", "4"} {
		if !seen[v] {
			t.Errorf("randInt 1 4 never gave %s in 200 iterations (gave %v)", v, seen)
		}
	}
	if len(seen) != 4 {
		t.Errorf("randInt 1 4 gave %v", seen)
	}
}

// TestDeterminism: iteration n renders the same text for the same seed,
// and a different one for another n or seed.
func TestDeterminism(t *testing.T) {
	const text = `{{uuid}} {{randInt 1 1000000}} {{pick "a" "b" "c" "d" "e" "f" "g" "h"}} {{feed "shuffled" "id"}}`
	a, err := renderText(t, text, 5, 42, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := renderText(t, text, 5, 42, nil)
	if a != again {
		t.Errorf("same seed and n: %q then %q", a, again)
	}
	for _, other := range []struct{ n, seed uint64 }{{6, 42}, {5, 43}} {
		b, _ := renderText(t, text, other.n, other.seed, nil)
		if b == a {
			t.Errorf("n=%d seed=%d renders the same as n=5 seed=42: %q", other.n, other.seed, a)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"héllo, 世界", `"héllo, 世界"`},
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
	}
	for _, tt := range tests {
		got := string(appendJSONString(nil, tt.in))
		if got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%s does not decode: %v", got, err)
		}
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\n\x01", "日本", "\xff\xfe", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encodes to %s, which does not decode: %v", s, out, err)
		}
		// []rune maps each invalid byte to U+FFFD, as the encoder does.
		if want := string([]rune(s)); back != want {
			t.Fatalf("%q encodes to %s, which decodes to %q, want %q", s, out, back, want)
		}
	})
}
