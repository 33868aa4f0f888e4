package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/feed"
	"github.com/mayfly-perf/mayfly/load"
	"github.com/mayfly-perf/mayfly/plan"
	"github.com/mayfly-perf/mayfly/request"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		target string
		req    plan.Request
		want   string
	}{
		{name: "syntax", req: plan.Request{URL: "/{{randInt 1}}"}, want: `request "r": url: 1:4: randInt takes 2 arguments, got 1`},
		{name: "unknown function", req: plan.Request{Body: "{{env `HOME`}}"}, want: `request "r": body: 1: function "env" not defined`},
		{name: "unknown feeder", req: plan.Request{URL: `/{{feed "nobody" "x"}}`}, want: `url: no feeder "nobody"`},
		{name: "unknown column", req: plan.Request{Headers: []plan.Header{{Key: "X-User", Value: `{{feed "users" "email"}}`}}}, want: `header X-User: feeder "users" has no column "email"`},
		{name: "var never extracted", req: plan.Request{Body: `{{var "token"}}`}, want: `body: var "token": no earlier request of the scenario extracts it`},
		{name: "var extracted by the same request", req: plan.Request{Body: `{{var "token"}}`, Extract: []plan.Extract{{Var: "token", From: "header", Expr: "X-T"}}}, want: `var "token": no earlier request`},
		{name: "relative without target", target: "-", req: plan.Request{URL: "/x"}, want: `url "/x" is relative and the plan has no target`},
		{name: "bad regex", req: plan.Request{Extract: []plan.Extract{{Var: "v", From: "regex", Expr: "(["}}}, want: `extract "v"`},
		{name: "bad json value", req: plan.Request{Expect: plan.Expect{JSON: []plan.JSONCheck{{Path: "a", Value: map[string]any{}}}}}, want: `json check "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req
			r.Name, r.Method = "r", "GET"
			if r.URL == "" {
				r.URL = "/"
			}
			p := &plan.Plan{Target: "http://127.0.0.1:1"}
			if tt.target == "-" {
				p.Target = ""
			}
			_, err := Compile(&plan.Scenario{Name: "s", Requests: []*plan.Request{&r}}, p, testFeeders(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `scenario "s"`) {
				t.Fatalf("error %v, want one naming the scenario and containing %q", err, tt.want)
			}
		})
	}
}

// CheckTemplate and the renderers agree on what is a template.
func TestCheckTemplateAgrees(t *testing.T) {
	for _, text := range []string{`{{feed "users" "name"}}`, `{{uuid}}{{now}}{{unix}}{{unixMilli}}{{seq}}{{vu}}{{json 1}}{{base64 "a"}}{{pick 1}}{{randInt 1 2}}`} {
		if err := request.CheckTemplate(text); err != nil {
			t.Errorf("CheckTemplate(%q): %v", text, err)
		}
		if _, err := renderText(t, text, 0, 1, nil); err != nil {
			t.Errorf("render %q: %v", text, err)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ base, url, want string }{
		{"http://h:8080", "/api/x?a=1", "http://h:8080/api/x?a=1"},
		{"http://h:8080", "api/x", "http://h:8080/api/x"},
		{"http://h/v1", "/tickets", "http://h/v1/tickets"},
		{"http://h", "", "http://h/"},
		{"http://h", "?q=1", "http://h/?q=1"},
		{"http://h", "https://other.example/x", "https://other.example/x"},
		{"", "HTTP://h/x", "HTTP://h/x"},
	}
	for _, tt := range tests {
		got, err := resolve(tt.base, tt.url)
		if err != nil || got != tt.want {
			t.Errorf("resolve(%q, %q) = %q, %v; want %q", tt.base, tt.url, got, err, tt.want)
		}
	}
	if _, err := resolve("", "/x"); err == nil {
		t.Error("a relative URL without a target resolves")
	}
}

// fakeIteration stands in for *load.Iteration: it answers requests with
// respond and records what the script did.
type fakeIteration struct {
	respond func(req *load.Request) *load.Response
	sent    []sentRequest
	fails   []string // "name: kind: error"
	errs    []error
	sleeps  []time.Duration
	stopped bool
}

// sentRequest is a copy of a load.Request (the script reuses its own).
type sentRequest struct {
	name, method, url, body string
	header                  map[string]string
	keepBody, check         bool
	expect                  []int
}

func (f *fakeIteration) Do(ctx context.Context, req *load.Request) *load.Response {
	s := sentRequest{name: req.Name, method: req.Method, url: req.URL, body: string(req.Body), header: map[string]string{},
		keepBody: req.KeepBody, check: req.Check != nil, expect: req.Expect}
	for _, h := range req.Header {
		s.header[h.Key] = h.Value
	}
	f.sent = append(f.sent, s)
	resp := f.respond(req)
	if resp.Kind == load.OK && !slices.Contains(req.Expect, resp.Status) && (len(req.Expect) > 0 || resp.Status >= 400) {
		resp.Kind = load.Status
	}
	if resp.Kind == load.OK && req.Check != nil && req.Check(resp) != nil {
		resp.Kind = load.Check
	}
	return resp
}

func (f *fakeIteration) Sleep(ctx context.Context, d time.Duration) { f.sleeps = append(f.sleeps, d) }
func (f *fakeIteration) Fail(name string, kind load.ErrorKind, err error) {
	f.fails = append(f.fails, fmt.Sprintf("%s: %s: %v", name, kind, err))
	f.errs = append(f.errs, err)
}
func (f *fakeIteration) StopScenario() { f.stopped = true }

// loginFlow is a two-request scenario: login (extracting a token), then a
// ticket created with it.
func loginFlow(think plan.Think) (*plan.Scenario, *plan.Plan) {
	p := &plan.Plan{
		Target: "http://127.0.0.1:8080/",
		HTTP: plan.HTTP{Headers: []plan.Header{
			{Key: "User-Agent", Value: "mayfly"},
			{Key: "X-Run", Value: "vu{{vu}}"},
			{Key: "Authorization", Value: "none"},
		}},
	}
	s := &plan.Scenario{Name: "tickets", Think: think, Requests: []*plan.Request{
		{
			Name: "login", Method: "POST", URL: "/login",
			Body:    `{"user": {{feed "users" "name" | json}}}`,
			Expect:  plan.Expect{Status: []int{200}, JSON: []plan.JSONCheck{{Path: "ok", Value: true}}},
			Extract: []plan.Extract{{Var: "token", From: "json", Expr: "token"}},
		},
		{
			Name: "create", Method: "POST", URL: "/tickets?user={{feed `users` `name` | urlquery}}",
			Headers: []plan.Header{{Key: "authorization", Value: `Bearer {{var "token"}}`}},
			Body:    `{"n": {{seq}}}`,
		},
	}}
	return s, p
}

func TestIterate(t *testing.T) {
	s, p := loginFlow(plan.Think{})
	c, err := compile(s, p, testFeeders(t))
	if err != nil {
		t.Fatal(err)
	}
	it := &fakeIteration{respond: func(req *load.Request) *load.Response {
		if strings.HasSuffix(req.URL, "/login") {
			return load.NewResponse(200, []byte(`{"ok": true, "token": "tok-1"}`), nil)
		}
		return load.NewResponse(201, nil, nil)
	}}
	vars := map[string]string{}
	c.iterate(context.Background(), it, rand.New(rand.NewPCG(1, 1)), 1, 2, vars)

	if len(it.fails) != 0 || len(it.sent) != 2 {
		t.Fatalf("sent %d requests, failures %v; want 2 and none", len(it.sent), it.fails)
	}
	login, create := it.sent[0], it.sent[1]
	wantLogin := sentRequest{name: "login", method: "POST", url: "http://127.0.0.1:8080/login", body: `{"user": "bob"}`,
		header: map[string]string{"User-Agent": "mayfly", "X-Run": "vu2", "Authorization": "none"}, keepBody: true, check: true, expect: []int{200}}
	if fmt.Sprint(login) != fmt.Sprint(wantLogin) {
		t.Errorf("login request\n got %+v\nwant %+v", login, wantLogin)
	}
	wantCreate := sentRequest{name: "create", method: "POST", url: "http://127.0.0.1:8080/tickets?user=bob", body: `{"n": 1}`,
		header: map[string]string{"User-Agent": "mayfly", "X-Run": "vu2", "authorization": "Bearer tok-1"}}
	if fmt.Sprint(create) != fmt.Sprint(wantCreate) {
		t.Errorf("create request (the request's authorization overrides the global one)\n got %+v\nwant %+v", create, wantCreate)
	}
	if vars["token"] != "tok-1" {
		t.Errorf("vars = %v, want token=tok-1", vars)
	}
	if len(it.sleeps) != 0 {
		t.Errorf("slept %v without think time", it.sleeps)
	}
}

func TestIterateStopsAfterFailure(t *testing.T) {
	tests := []struct {
		name      string
		login     *load.Response
		wantFails []string
	}{
		{name: "status", login: load.NewResponse(500, nil, nil)},
		{name: "check", login: load.NewResponse(200, []byte(`{"ok": false}`), nil)},
		{name: "transport", login: &load.Response{Kind: load.Timeout}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := loginFlow(plan.Think{Min: time.Second, Max: time.Second})
			c, err := compile(s, p, testFeeders(t))
			if err != nil {
				t.Fatal(err)
			}
			it := &fakeIteration{respond: func(*load.Request) *load.Response { return tt.login }}
			c.iterate(context.Background(), it, rand.New(rand.NewPCG(1, 1)), 0, 1, map[string]string{})
			if len(it.sent) != 1 || len(it.fails) != 0 {
				t.Errorf("sent %d requests, failures %v; want only the login, no script failure", len(it.sent), it.fails)
			}
			if !slices.Equal(it.sleeps, []time.Duration{time.Second}) {
				t.Errorf("slept %v, want the think time after the failed request", it.sleeps)
			}
		})
	}
}

func TestIterateMissingVar(t *testing.T) {
	s, p := loginFlow(plan.Think{})
	c, err := compile(s, p, testFeeders(t))
	if err != nil {
		t.Fatal(err)
	}
	it := &fakeIteration{respond: func(*load.Request) *load.Response {
		return load.NewResponse(200, []byte(`{"ok": true}`), nil) // no token
	}}
	c.iterate(context.Background(), it, rand.New(rand.NewPCG(1, 1)), 0, 1, map[string]string{})
	want := `create: script: header authorization: var "token" is not set: extract json "token" of request "login" did not match`
	if len(it.sent) != 1 || !slices.Equal(it.fails, []string{want}) {
		t.Errorf("sent %d, failures %q; want 1 and %q", len(it.sent), it.fails, want)
	}
	if it.stopped {
		t.Error("a missing var stopped the scenario")
	}
}

func TestIterateExhaustedFeeder(t *testing.T) {
	s := &plan.Scenario{Name: "s", Requests: []*plan.Request{{Name: "r", Method: "GET", URL: `/items/{{feed "once" "id"}}`}}}
	c, err := compile(s, &plan.Plan{Target: "http://127.0.0.1:1"}, testFeeders(t))
	if err != nil {
		t.Fatal(err)
	}
	it := &fakeIteration{respond: func(*load.Request) *load.Response { return load.NewResponse(200, nil, nil) }}
	for n := range uint64(3) {
		c.iterate(context.Background(), it, rand.New(rand.NewPCG(1, n)), n, 1, map[string]string{})
	}
	if len(it.sent) != 2 || it.sent[1].url != "http://127.0.0.1:1/items/b" {
		t.Errorf("sent %+v, want /items/a and /items/b", it.sent)
	}
	if !it.stopped || len(it.errs) != 1 || !errors.Is(it.errs[0], feed.ErrExhausted) {
		t.Errorf("stopped=%v failures %v; want the third iteration to fail with ErrExhausted and stop", it.stopped, it.fails)
	}
}

func TestThinkTime(t *testing.T) {
	s, p := loginFlow(plan.Think{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond})
	c, err := compile(s, p, testFeeders(t))
	if err != nil {
		t.Fatal(err)
	}
	it := &fakeIteration{respond: func(req *load.Request) *load.Response {
		return load.NewResponse(200, []byte(`{"ok": true, "token": "t"}`), nil)
	}}
	for n := range uint64(50) {
		c.iterate(context.Background(), it, rand.New(rand.NewPCG(1, n)), n, 1, map[string]string{})
	}
	if len(it.sleeps) != 100 {
		t.Fatalf("slept %d times in 50 iterations of 2 requests, want 100", len(it.sleeps))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range it.sleeps {
		if d < 100*time.Millisecond || d > 300*time.Millisecond {
			t.Errorf("think time %v outside [100ms, 300ms]", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 50 {
		t.Errorf("only %d distinct think times in 100: not drawn at random", len(distinct))
	}
}

// TestEngine drives a compiled scenario through the real engine against
// an in-process server.
func TestEngine(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{} // "user token" → count of creates
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/login":
			user := strings.Trim(strings.TrimPrefix(string(body), `{"user": `), `"}`)
			fmt.Fprintf(w, `{"ok": true, "token": "tok-%s"}`, user)
		case "/tickets":
			mu.Lock()
			got[r.URL.Query().Get("user")+" "+r.Header.Get("Authorization")]++
			mu.Unlock()
			w.WriteHeader(201)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	s, p := loginFlow(plan.Think{})
	p.Target = srv.URL
	fn, err := Compile(s, p, testFeeders(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := load.NewRecorder(0, nil)
	a := &load.Attacker{Recorder: rec, Seed: 1}
	err = a.Run(context.Background(), load.Scenario{Name: "tickets", Executor: load.SharedIterations{VUs: 3, Iterations: 30, MaxDuration: 20 * time.Second}, Iteration: fn})
	if err != nil {
		t.Fatal(err)
	}
	rec.Flush()
	for _, name := range []string{"login", "create"} {
		m := rec.Totals(load.Key{Scenario: "tickets", Name: name})
		if m == nil || m.Requests != 30 || m.Errors != 0 {
			t.Errorf("%s: metrics %+v, want 30 requests without error", name, m)
		}
	}
	want := map[string]int{"ann Bearer tok-ann": 10, "bob Bearer tok-bob": 10, "cy Bearer tok-cy": 10}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("creates by user and token %v, want %v", got, want)
	}
}

// BenchmarkRender measures building one request of a typical scenario: a
// templated URL, a static and a templated header, and a JSON body.
func BenchmarkRender(b *testing.B) {
	s := &plan.Scenario{Name: "s", Requests: []*plan.Request{{
		Name: "create", Method: "POST", URL: `/api/tickets?user={{feed "users" "name"}}`,
		Headers: []plan.Header{{Key: "Content-Type", Value: "application/json"}, {Key: "Authorization", Value: `Bearer {{feed "users" "token"}}`}},
		Body:    `{"issue": {{feed "users" "name" | json}}, "priority": {{pick 1 2 3 4}}, "ref": "{{uuid}}"}`,
	}}}
	c, err := compile(s, &plan.Plan{Target: "http://127.0.0.1:8080"}, testFeeders(b))
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for n := range uint64(b.N) {
		r, err := c.renderer()
		if err != nil {
			b.Fatal(err)
		}
		r.begin(rnd, n, 1, nil)
		if _, err := r.build(c.steps[0]); err != nil {
			b.Fatal(err)
		}
		r.end()
		c.pool.Put(r)
	}
}

// BenchmarkRenderStatic is the floor: a request without templates.
func BenchmarkRenderStatic(b *testing.B) {
	s := &plan.Scenario{Name: "s", Requests: []*plan.Request{{Name: "home", Method: "GET", URL: "/", Headers: []plan.Header{{Key: "Accept", Value: "text/html"}}}}}
	c, err := compile(s, &plan.Plan{Target: "http://127.0.0.1:8080"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for n := range uint64(b.N) {
		r, _ := c.renderer()
		r.begin(nil, n, 1, nil)
		if _, err := r.build(c.steps[0]); err != nil {
			b.Fatal(err)
		}
		r.end()
		c.pool.Put(r)
	}
}

// FuzzTemplate: no text makes CheckTemplate or rendering panic, and a text
// CheckTemplate accepts compiles (rendering may still fail: a missing var).
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		`{{feed "users" "name"}}`, `{{var "x"}}`, `{{randInt 1 10}}`, `{{pick 1 "a" true}}`, `{{uuid}}`,
		`{{json (feed "users" "token")}}`, `{{base64 "x"}}`, `{{urlquery "a b"}}`, `{{range $i, $c := "ab"}}{{$c}}{{end}}`,
		`{{with seq}}{{.}}{{end}}`, `{{.Foo}}`, `{{`, `}}`, `{{template "x"}}`, `{{define "a"}}{{end}}`, `{{index "ab" 9}}`,
		`{{randInt 9223372036854775807 -9223372036854775808}}`, `{{printf "%*d" 1000000000 1}}`, `{{slice "abc" 2 1}}`,
	} {
		f.Add(s)
	}
	feeders := testFeeders(f)
	f.Fuzz(func(t *testing.T, text string) {
		if err := request.CheckTemplate(text); err != nil {
			return
		}
		if len(text) > 200 || strings.Contains(text, "printf") || strings.Contains(text, "range") {
			return // keep clear of output sizes and loops the fuzzer could make huge
		}
		s := &plan.Scenario{Name: "s", Requests: []*plan.Request{{Name: "r", Method: "POST", URL: "/", Body: text}}}
		c, err := compile(s, &plan.Plan{Target: "http://127.0.0.1:1"}, feeders)
		if err != nil {
			if !strings.Contains(err.Error(), "feed") && !strings.Contains(err.Error(), "var") {
				t.Fatalf("CheckTemplate accepts %q but Compile says %v", text, err)
			}
			return
		}
		r, _ := c.renderer()
		r.begin(rand.New(rand.NewPCG(1, 2)), 0, 1, map[string]string{})
		_, _ = r.build(c.steps[0])
		r.end()
	})
}
