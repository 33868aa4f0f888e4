package script

import (
	"strings"
	"testing"

	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/plan"
)

func TestCheck(t *testing.T) {
	const body = `{"data": {"ok": true, "n": 3, "big": 9007199254740993, "f": 1.5, "one": 1.0, "name": "bob", "none": null, "s3": "3"}}`
	tests := []struct {
		name   string
		expect plan.Expect
		body   string
		want   string // "" means the check passes
	}{
		{name: "contains", expect: plan.Expect{BodyContains: []string{`"ok": true`, "bob"}}, body: body},
		{name: "does not contain", expect: plan.Expect{BodyContains: []string{"bob", "alice"}}, body: body, want: `body does not contain "alice"`},
		{name: "bool", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.ok", Value: true}}}, body: body},
		{name: "bool differs", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.ok", Value: false}}}, body: body, want: "json data.ok: want false, got true"},
		{name: "int", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: 3}}}, body: body},
		{name: "int as float", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: 3.0}}}, body: body},
		{name: "float written as int", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.one", Value: 1}}}, body: body},
		{name: "int differs", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: 4}}}, body: body, want: "json data.n: want 4, got 3"},
		{name: "big int exact", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.big", Value: int64(9007199254740993)}}}, body: body},
		{name: "big int off by one", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.big", Value: int64(9007199254740992)}}}, body: body, want: "want 9007199254740992, got 9007199254740993"},
		{name: "uint", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: uint64(3)}}}, body: body},
		{name: "float", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.f", Value: 1.5}}}, body: body},
		{name: "string", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.name", Value: "bob"}}}, body: body},
		{name: "string differs", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.name", Value: "Bob"}}}, body: body, want: `json data.name: want "Bob", got "bob"`},
		{name: "string is not a number", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.s3", Value: 3}}}, body: body, want: `json data.s3: want 3, got "3"`},
		{name: "number is not a string", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: "3"}}}, body: body, want: `json data.n: want "3", got 3`},
		{name: "null", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.none", Value: nil}}}, body: body},
		{name: "not null", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.n", Value: nil}}}, body: body, want: "json data.n: want null, got 3"},
		{name: "missing", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "data.gone", Value: true}}}, body: body, want: "json data.gone: want true, got nothing (no such path)"},
		{name: "not json", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "ok", Value: true}}}, body: "<html>", want: "json ok: want true, but the body is not JSON"},
		{name: "long value shortened", expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "s", Value: "x"}}}, body: `{"s": "` + strings.Repeat("y", 200) + `"}`, want: `got "` + strings.Repeat("y", maxShown-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check, err := newCheck(tt.expect)
			if err != nil {
				t.Fatal(err)
			}
			err = check(load.NewResponse(200, []byte(tt.body), nil))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("check failed: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("check error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNoCheck(t *testing.T) {
	check, err := newCheck(plan.Expect{Status: []int{201}})
	if err != nil || check != nil {
		t.Errorf("a status-only expectation gives check %v, error %v; want none", check != nil, err)
	}
}

func TestCheckBadValue(t *testing.T) {
	_, err := newCheck(plan.Expect{JSON: []plan.JSONCheck{{Path: "a", Value: []any{1}}}})
	if err == nil || !strings.Contains(err.Error(), `json check "a"`) {
		t.Errorf("error %v, want one naming the check", err)
	}
}

func TestExtract(t *testing.T) {
	resp := load.NewResponse(200, []byte(`{"token": "abc", "id": 0012, "user": {"a": 1}, "none": null, "esc": "a\"b", "html": "<p id=\"x7\">"}`), map[string]string{"Location": "/tickets/9"})
	tests := []struct {
		from, expr string
		want       string
		found      bool
	}{
		{"json", "token", "abc", true},
		{"json", "id", "0012", true}, // numbers as spelled
		{"json", "user", `{"a": 1}`, true},
		{"json", "esc", `a"b`, true},
		{"json", "none", "", false},
		{"json", "gone", "", false},
		{"header", "location", "/tickets/9", true},
		{"header", "X-Missing", "", false},
		{"regex", `id=\\"(\w+)\\"`, "x7", true},
		{"regex", `"token": "\w+"`, `"token": "abc"`, true}, // no group: the whole match
		{"regex", `nope(\d+)`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.expr, func(t *testing.T) {
			x, err := newExtractor("r", plan.Extract{Var: "v", From: tt.from, Expr: tt.expr})
			if err != nil {
				t.Fatal(err)
			}
			got, found := x.extract(resp)
			if got != tt.want || found != tt.found {
				t.Errorf("extract = %q, %v; want %q, %v", got, found, tt.want, tt.found)
			}
		})
	}
}

func TestExtractorErrors(t *testing.T) {
	tests := []struct {
		x    plan.Extract
		want string
	}{
		{plan.Extract{Var: "v", From: "regex", Expr: "("}, `extract "v": error parsing regexp`},
		{plan.Extract{Var: "v", From: "xpath", Expr: "/a"}, `unknown source "xpath"`},
		{plan.Extract{Var: "v", From: "json"}, "empty json expression"},
		{plan.Extract{From: "json", Expr: "a"}, "no variable name"},
	}
	for _, tt := range tests {
		if _, err := newExtractor("r", tt.x); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("newExtractor(%+v): error %v, want one containing %q", tt.x, err, tt.want)
		}
	}
}
