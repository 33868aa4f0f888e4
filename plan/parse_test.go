package plan

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// mustParse parses a plan that must be valid.
func mustParse(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%v\nplan:\n%s", err, src)
	}
	return p
}

// parseErrors parses a plan that must be invalid and returns its errors'
// texts.
func parseErrors(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("p.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse accepted:\n%s", src)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error is %T, want plan.Errors: %v", err, err)
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// scenarioPlan wraps the fields of one scenario "s" into a plan.
func scenarioPlan(fields string) string {
	return "target: http://127.0.0.1:8080\nscenarios:\n  s:\n" + indent(fields, "    ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestLoadExample(t *testing.T) {
	p, err := Load("testdata/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.File != "testdata/checkout.yaml" || p.Dir != "testdata" || p.Name != "checkout" || p.Seed != 42 {
		t.Errorf("File, Dir, Name, Seed = %q, %q, %q, %d", p.File, p.Dir, p.Name, p.Seed)
	}
	if p.Target != "http://127.0.0.1:8080" || !reflect.DeepEqual(p.AllowHosts, []string{"api.staging.example"}) {
		t.Errorf("Target, AllowHosts = %q, %q", p.Target, p.AllowHosts)
	}
	wantHTTP := HTTP{Timeout: 10 * time.Second, KeepAlive: true, MaxConns: 100, LateAfter: 10 * time.Millisecond,
		Headers: []Header{{"User-Agent", "mayfly"}}}
	if !reflect.DeepEqual(p.HTTP, wantHTTP) {
		t.Errorf("HTTP = %+v, want %+v", p.HTTP, wantHTTP)
	}

	wantFeeders := []*Feeder{
		{Name: "users", CSV: "./users.csv", Strategy: "sequential", Pos: Pos{8, 3}},
		{Name: "items", JSON: "./items.json", Strategy: "circular", Pos: Pos{9, 3}},
		{Name: "colors", Values: []map[string]string{{"value": "red"}, {"value": "green"}}, Strategy: "circular", Pos: Pos{10, 3}},
		{Name: "pairs", Values: []map[string]string{{"a": "1", "b": "x"}, {"a": "2", "b": "y"}}, Strategy: "circular", Pos: Pos{11, 3}},
		{Name: "tokens", SQL: "select token from api_tokens", Strategy: "circular", Pos: Pos{12, 3}},
	}
	if !reflect.DeepEqual(p.Feeders, wantFeeders) {
		for i := range p.Feeders {
			t.Logf("feeder %d: %+v", i, *p.Feeders[i])
		}
		t.Error("feeders differ")
	}

	if len(p.Scenarios) != 3 {
		t.Fatalf("%d scenarios, want 3", len(p.Scenarios))
	}
	browse, checkout, spike := p.Scenarios[0], p.Scenarios[1], p.Scenarios[2]
	wantBrowse := &Scenario{
		Name: "browse", Executor: ConstantArrivalRate, StartTime: 10 * time.Second, GracefulStop: 30 * time.Second,
		Rate: 100, PreAllocatedVUs: 100, MaxVUs: 500, Duration: time.Minute,
		Requests: []*Request{{Name: "GET /products", Method: "GET", URL: "/products?page={{randInt 1 10}}", Pos: Pos{20, 14}}},
		Pos:      Pos{14, 3},
	}
	if !reflect.DeepEqual(browse, wantBrowse) {
		t.Errorf("browse =\n%+v\nwant\n%+v", *browse, *wantBrowse)
	}

	if checkout.Executor != RampingVUs || checkout.GracefulRampDown != 30*time.Second ||
		!reflect.DeepEqual(checkout.Stages, []Stage{{30 * time.Second, 50}, {time.Minute, 50}, {10 * time.Second, 0}}) ||
		checkout.Think != (Think{time.Second, 3 * time.Second}) {
		t.Errorf("checkout = %+v", *checkout)
	}
	login := &Request{
		Name: "login", Method: "POST", URL: "/login",
		Headers: []Header{{"Content-Type", "application/json"}},
		Body:    `{"user": {{feed "users" "name" | json}}}`,
		Expect:  Expect{Status: []int{200}, BodyContains: []string{"token"}, JSON: []JSONCheck{{"ok", true}}},
		Extract: []Extract{{"token", "json", "data.token"}, {"loc", "header", "Location"}, {"id", "regex", `id=(\d+)`}},
		Pos:     Pos{27, 9},
	}
	if len(checkout.Requests) != 3 || !reflect.DeepEqual(checkout.Requests[0], login) {
		t.Fatalf("checkout requests = %+v\nwant first %+v", checkout.Requests, login)
	}
	if r := checkout.Requests[1]; r.Name != "GET /cart" || r.URL != `/cart?token={{var "token"}}` {
		t.Errorf("second request = %+v", r)
	}
	if r := checkout.Requests[2]; r.Name != "POST /orders" || r.URL != "https://api.staging.example/orders" {
		t.Errorf("third request = %+v", r)
	}

	if spike.Executor != RampingArrivalRate || spike.Profile == nil || spike.Profile.Kind != "spike" ||
		spike.Profile.Peak != 4 || spike.StartRate != 50 || len(spike.Stages) != 5 || spike.Stages[1].Target != 200 ||
		spike.PreAllocatedVUs != 200 || spike.MaxVUs != DefaultMaxVUs {
		t.Errorf("spike_it = %+v, profile %+v", *spike, spike.Profile)
	}

	if len(p.SLOs) != 2 {
		t.Fatalf("%d SLOs, want 2", len(p.SLOs))
	}
	if o := p.SLOs[0]; o.Objective.Metric != "latency" || o.Objective.Labels["request"] != "login" || o.Abort || o.Pos != (Pos{42, 5}) {
		t.Errorf("slo[0] = %+v %+v", *o, *o.Objective)
	}
	if o := p.SLOs[1]; o.Objective.Metric != "errors" || !o.Abort || o.Grace != 10*time.Second {
		t.Errorf("slo[1] = %+v %+v", *o, *o.Objective)
	}
}

func TestDefaults(t *testing.T) {
	p, err := Parse("dir/smoke.test.yml", []byte(`
target: http://localhost:9000/base
feeders:
  f: {values: [1, ~, {k: v, n: 2.5}]}
scenarios:
  s:
    executor: per-vu-iterations
    iterations: 3
    request: /health
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "smoke.test" || p.Dir != "dir" || p.Seed != 1 {
		t.Errorf("Name, Dir, Seed = %q, %q, %d", p.Name, p.Dir, p.Seed)
	}
	wantHTTP := HTTP{Timeout: 30 * time.Second, KeepAlive: true, LateAfter: 10 * time.Millisecond}
	if !reflect.DeepEqual(p.HTTP, wantHTTP) {
		t.Errorf("HTTP = %+v, want %+v", p.HTTP, wantHTTP)
	}
	f := p.Feeders[0]
	if f.Strategy != "circular" || !reflect.DeepEqual(f.Values, []map[string]string{{"value": "1"}, {"value": ""}, {"k": "v", "n": "2.5"}}) {
		t.Errorf("feeder = %+v", *f)
	}
	s := p.Scenarios[0]
	if s.VUs != 1 || s.Iterations != 3 || s.MaxDuration != 10*time.Minute || s.GracefulStop != 30*time.Second {
		t.Errorf("scenario = %+v", *s)
	}
	if r := s.Requests[0]; r.Method != "GET" || r.URL != "/health" || r.Name != "GET /health" {
		t.Errorf("request = %+v", *r)
	}
	if len(p.SLOs) != 0 || len(p.AllowHosts) != 0 {
		t.Errorf("SLOs, AllowHosts = %v, %v", p.SLOs, p.AllowHosts)
	}
}

// TestScenarios checks each executor's fields and defaults.
func TestScenarios(t *testing.T) {
	tests := []struct {
		name, fields string
		want         Scenario // Name, Requests and Pos are not compared
	}{
		{"constant-arrival-rate per minute", `
executor: constant-arrival-rate
rate: 6000/m
duration: 90
request: GET /`,
			Scenario{Executor: ConstantArrivalRate, Rate: 100, Duration: 90 * time.Second, PreAllocatedVUs: 100, MaxVUs: 10000, GracefulStop: 30 * time.Second}},
		{"fractional rate needs one VU", `
executor: constant-arrival-rate
rate: 0.5
duration: 1m30s
max_vus: 3
graceful_stop: 0
start_time: 2.5
request: GET /`,
			Scenario{Executor: ConstantArrivalRate, Rate: 0.5, Duration: 90 * time.Second, PreAllocatedVUs: 1, MaxVUs: 3, StartTime: 2500 * time.Millisecond}},
		{"pre-allocation capped by max_vus", `
executor: ramping-arrival-rate
start_rate: 10/s
stages: [{duration: 1m, target: 200/s}, {duration: 1m, target: 50}]
max_vus: 150
request: GET /`,
			Scenario{Executor: RampingArrivalRate, StartRate: 10, Stages: []Stage{{time.Minute, 200}, {time.Minute, 50}},
				PreAllocatedVUs: 150, MaxVUs: 150, GracefulStop: 30 * time.Second}},
		{"explicit pre-allocation above the default cap", `
executor: ramping-arrival-rate
stages: [{duration: 1m, target: 20000}]
pre_allocated_vus: 12000
request: GET /`,
			Scenario{Executor: RampingArrivalRate, Stages: []Stage{{time.Minute, 20000}}, PreAllocatedVUs: 12000, MaxVUs: 12000, GracefulStop: 30 * time.Second}},
		{"constant-vus", `
executor: constant-vus
vus: 5
duration: 10s
think: 2s
request: GET /`,
			Scenario{Executor: ConstantVUs, VUs: 5, Duration: 10 * time.Second, Think: Think{2 * time.Second, 2 * time.Second}, GracefulStop: 30 * time.Second}},
		{"ramping-vus", `
executor: ramping-vus
start_vus: 2
stages: [{duration: 10s, target: 10}, {duration: 0, target: 0}]
graceful_ramp_down: 5s
think: 0.5-1.5
request: GET /`,
			Scenario{Executor: RampingVUs, StartVUs: 2, Stages: []Stage{{10 * time.Second, 10}, {0, 0}}, GracefulRampDown: 5 * time.Second,
				Think: Think{500 * time.Millisecond, 1500 * time.Millisecond}, GracefulStop: 30 * time.Second}},
		{"shared-iterations", `
executor: shared-iterations
vus: 4
iterations: 1e3
max_duration: 1h
request: GET /`,
			Scenario{Executor: SharedIterations, VUs: 4, Iterations: 1000, MaxDuration: time.Hour, GracefulStop: 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := *mustParse(t, scenarioPlan(tt.fields)).Scenarios[0]
			got.Name, got.Requests, got.Pos = "", nil, Pos{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scenario =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	p := mustParse(t, `
target: http://127.0.0.1:8080
allow_hosts: [API.example, "[2001:db8::1]"]
scenarios:
  s:
    executor: constant-vus
    vus: 1
    duration: 1s
    requests:
      - /plain
      - delete /items/{{var "id"}}?force=1
      - "  PATCH    /spaced  "
      - GET http://api.example:8443
      - GET http://[2001:db8::1]/v6#frag
      - GET http://localhost/x?y=1
      - GET {{var "next"}}
      - url: /h
        method: "{{pick \"GET\" \"HEAD\"}}"
        headers: {X-B: "2", A-First: 1, x-c: "{{uuid}}"}
        expect: {status: 204, body_contains: [a, b], json: {n: 1, f: 1.5, s: x, "null": ~}}
      - name: same
        url: /one
        body: 'not an action: feed "nobody"'
      - name: same
        url: /two
`)
	want := []struct{ name, method, url string }{
		{"GET /plain", "GET", "/plain"},
		{"DELETE /items/*", "DELETE", "/items/{{var \"id\"}}?force=1"},
		{"PATCH /spaced", "PATCH", "/spaced"},
		{"GET /", "GET", "http://api.example:8443"},
		{"GET /v6", "GET", "http://[2001:db8::1]/v6#frag"},
		{"GET /x", "GET", "http://localhost/x?y=1"},
		{"GET *", "GET", `{{var "next"}}`},
		{`{{pick "GET" "HEAD"}} /h`, `{{pick "GET" "HEAD"}}`, "/h"},
		{"same", "GET", "/one"},
		{"same", "GET", "/two"},
	}
	rs := p.Scenarios[0].Requests
	if len(rs) != len(want) {
		t.Fatalf("%d requests, want %d", len(rs), len(want))
	}
	for i, w := range want {
		if rs[i].Name != w.name || rs[i].Method != w.method || rs[i].URL != w.url {
			t.Errorf("request %d = %q %q %q, want %q %q %q", i, rs[i].Name, rs[i].Method, rs[i].URL, w.name, w.method, w.url)
		}
	}
	h := rs[7]
	if want := []Header{{"A-First", "1"}, {"X-B", "2"}, {"x-c", "{{uuid}}"}}; !reflect.DeepEqual(h.Headers, want) {
		t.Errorf("headers = %q, want %q (sorted by key)", h.Headers, want)
	}
	wantExpect := Expect{Status: []int{204}, BodyContains: []string{"a", "b"},
		JSON: []JSONCheck{{"n", 1}, {"f", 1.5}, {"s", "x"}, {"null", nil}}}
	if !reflect.DeepEqual(h.Expect, wantExpect) {
		t.Errorf("expect = %+v, want %+v", h.Expect, wantExpect)
	}
	if !reflect.DeepEqual(p.AllowHosts, []string{"api.example", "2001:db8::1"}) {
		t.Errorf("AllowHosts = %q", p.AllowHosts)
	}
}

func TestAliasesAndMerge(t *testing.T) {
	p := mustParse(t, `
target: http://127.0.0.1:8080
scenarios:
  a: &base
    executor: constant-arrival-rate
    rate: 10
    duration: 1m
    request: &req {url: /x, headers: {A: "1"}}
  b:
    <<: *base
    rate: 20
    request:
      <<: *req
      method: POST
`)
	a, b := p.Scenarios[0], p.Scenarios[1]
	if a.Rate != 10 || b.Rate != 20 || b.Duration != time.Minute || b.Executor != ConstantArrivalRate {
		t.Errorf("a = %+v\nb = %+v", *a, *b)
	}
	if r := b.Requests[0]; r.Method != "POST" || r.URL != "/x" || len(r.Headers) != 1 || r.Name != "POST /x" {
		t.Errorf("b's request = %+v", *r)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-plan.yaml")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "read plan") {
		t.Errorf("Load = %v, want a wrapped not-exist error", err)
	}
}

// TestErrors checks the exact text of each kind of problem.
func TestErrors(t *testing.T) {
	const req = "request: GET /\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"malformed YAML", "scenarios:\n  a: [\n", []string{"p.yaml:2: invalid YAML: did not find expected node content"}},
		{"malformed YAML on line 1", "a: b: c", []string{"p.yaml:1: invalid YAML: mapping values are not allowed in this context"}},
		{"tab indentation", "scenarios:\n\ta: 1\n", []string{"p.yaml:2: invalid YAML: found character that cannot start any token"}},
		{"empty", "# nothing yet\n", []string{"p.yaml:1:1: the plan is empty"}},
		{"not a mapping", "- a\n- b\n", []string{"p.yaml:1:1: a plan must be a mapping (name: …, scenarios: …), got a list"}},
		{"two documents", "scenarios: {}\n---\nname: x\n", []string{"p.yaml:2:1: a plan is a single YAML document; remove the second one (after ---)"}},
		{"no scenarios", "name: x\n", []string{"p.yaml:1:1: scenarios: missing: a plan needs at least one scenario"}},
		{"empty scenarios", "name: x\nscenarios: {}\n", []string{"p.yaml:2:1: scenarios: must define at least one scenario"}},
		{"unknown top-level key", "scenari: {}\n", []string{
			`p.yaml:1:1: scenari: unknown field (did you mean "scenarios"?)`,
			"p.yaml:1:1: scenarios: missing: a plan needs at least one scenario"}},
		{"unknown key far from any", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nwhatever: 1\n" + req), []string{
			`p.yaml:7:5: scenarios.s.whatever: unknown field`}},
		{"did you mean by prefix", scenarioPlan("executor: constant-arrival-rate\nrate: 1\nduration: 1s\npre_alloc: 1\n" + req), []string{
			`p.yaml:7:5: scenarios.s.pre_alloc: unknown field (did you mean "pre_allocated_vus"?)`}},
		{"wrong type", scenarioPlan("executor: constant-arrival-rate\nrate: fast\nduration: [1]\n" + req), []string{
			`p.yaml:5:11: scenarios.s.rate: must be a rate like 100, "100/s" or "6000/m", got "fast"`,
			`p.yaml:6:15: scenarios.s.duration: must be a duration like "1m30s" or a number of seconds, got a list`}},
		{"zero rate", scenarioPlan("executor: constant-arrival-rate\nrate: 0/s\nduration: 1s\n" + req), []string{
			`p.yaml:5:11: scenarios.s.rate: must be greater than 0`}},
		{"missing required", scenarioPlan("executor: constant-vus\n"), []string{
			`p.yaml:3:3: scenarios.s.request: missing: what to send, e.g. request: GET /products, or requests: [...]`,
			`p.yaml:3:3: scenarios.s.vus: missing: the number of virtual users, e.g. vus: 10`,
			`p.yaml:3:3: scenarios.s.duration: missing: how long to run, e.g. duration: 1m`}},
		{"neither executor nor profile", scenarioPlan(req), []string{
			`p.yaml:3:3: scenarios.s: needs an executor (e.g. executor: constant-arrival-rate) or a profile (e.g. profile: load)`}},
		{"both executor and profile", scenarioPlan("executor: constant-vus\nprofile: load\n" + req), []string{
			`p.yaml:5:5: scenarios.s.profile: a scenario has an executor or a profile, not both`}},
		{"unknown executor", scenarioPlan("executor: ramping-vu\n" + req), []string{
			`p.yaml:4:15: scenarios.s.executor: unknown executor "ramping-vu": want one of constant-arrival-rate, ramping-arrival-rate, constant-vus, ramping-vus, per-vu-iterations, shared-iterations (did you mean "ramping-vus"?)`}},
		{"field of another executor", scenarioPlan("executor: per-vu-iterations\niterations: 1\nrate: 5\nstages: []\n" + req), []string{
			`p.yaml:6:5: scenarios.s.rate: field rate is not used by executor per-vu-iterations`,
			`p.yaml:7:5: scenarios.s.stages: field stages is not used by executor per-vu-iterations`}},
		{"request and requests", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: GET /\nrequests: [GET /]\n"), []string{
			`p.yaml:8:5: scenarios.s.requests: a scenario has request (one) or requests (a sequence), not both`}},
		{"duplicate scenario", "target: http://127.0.0.1\nscenarios:\n  a: {executor: constant-vus, vus: 1, duration: 1s, request: /}\n  a: {}\n", []string{
			`p.yaml:4:3: scenarios.a: duplicate key "a" (first at line 3)`}},
		{"duplicate field", scenarioPlan("executor: constant-vus\nvus: 1\nvus: 2\nduration: 1s\n" + req), []string{
			`p.yaml:6:5: scenarios.s.vus: duplicate key "vus" (first at line 5)`}},
		{"stage problems", scenarioPlan("executor: ramping-vus\nstages:\n  - {duration: 1s, target: -1}\n  - {target: 1}\n  - 5\n" + req), []string{
			`p.yaml:6:32: scenarios.s.stages[0].target: must be at least 0, got -1`,
			`p.yaml:7:9: scenarios.s.stages[1].duration: missing: how long the stage lasts, e.g. duration: 30s`,
			`p.yaml:8:9: scenarios.s.stages[2]: must be a mapping, got "5"`}},
		{"stages of no length", scenarioPlan("executor: ramping-arrival-rate\nstages: [{duration: 0s, target: 5}]\n" + req), []string{
			`p.yaml:5:5: scenarios.s.stages: the stages last 0s in all: give at least one a duration`}},
		{"think backwards", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nthink: 3s-1s\n" + req), []string{
			`p.yaml:7:12: scenarios.s.think: the range "3s-1s" must go from low to high, and not below 0`}},
		{"feeder without source", "feeders:\n  f: {strategy: random}\nscenarios: {}\n", []string{
			`p.yaml:2:3: feeders.f: needs a source: one of csv, json, values or sql`,
			`p.yaml:3:1: scenarios: must define at least one scenario`}},
		{"feeder with two sources", "feeders:\n  f: {sql: select 1, values: [a]}\nscenarios: {}\n", []string{
			`p.yaml:2:22: feeders.f.values: a feeder has one source, but this one also has sql`,
			`p.yaml:3:1: scenarios: must define at least one scenario`}},
		{"unknown strategy", "feeders:\n  f: {sql: x, strategy: shuffle}\nscenarios: {}\n", []string{
			`p.yaml:2:25: feeders.f.strategy: unknown strategy "shuffle": want sequential, random, unique or circular`,
			`p.yaml:3:1: scenarios: must define at least one scenario`}},
		{"undefined feeder", "feeders: {users: {sql: x}}\n" + scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: 'GET /?u={{feed `user` `name`}}'\n"), []string{
			"p.yaml:8:31: scenarios.s.request: template uses feeder \"user\", which is not defined (did you mean \"users\"?)"}},
		{"target not absolute", "target: 127.0.0.1:8080\nscenarios: {}\n", []string{
			`p.yaml:1:9: target: must be an absolute http:// or https:// URL, got "127.0.0.1:8080"`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"target not loopback", "target: https://example.com/api\nscenarios: {}\n", []string{
			`p.yaml:1:9: target: host "example.com" is not loopback: add it to allow_hosts to send load to it`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"relative URL without target", "scenarios:\n  s: {executor: constant-vus, vus: 1, duration: 1s, request: GET /x}\n", []string{
			`p.yaml:2:66: scenarios.s.request: a relative URL needs the plan's target (e.g. target: http://127.0.0.1:8080)`}},
		{"absolute URL not allowed", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: {url: 'http://10.1.2.3:80/x'}\n"), []string{
			`p.yaml:7:21: scenarios.s.request.url: host "10.1.2.3" is not loopback: add it to allow_hosts to send load to it`}},
		{"template syntax", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: {url: /, body: '{\"n\": {{randInt 1}}}'}\n"), []string{
			`p.yaml:7:38: scenarios.s.request.body: template: randInt takes 2 arguments, got 1`}},
		{"bad method", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: 'GET(1) /'\n"), []string{
			`p.yaml:7:14: scenarios.s.request: "GET(1)" is not an HTTP method`}},
		{"not a request", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest: [GET /]\n"), []string{
			`p.yaml:7:14: scenarios.s.request: must be "METHOD URL" (like "GET /products") or a mapping, got a list`}},
		{"expect and extract", scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest:\n  url: /\n  expect: {status: [99], json: {a: [1]}}\n  extract: {1x: {json: a}, y: {json: a, header: B}, z: {regex: '('}}\n"), []string{
			`p.yaml:9:25: scenarios.s.request.expect.status[0]: must be an HTTP status from 100 to 599, got 99`,
			`p.yaml:9:40: scenarios.s.request.expect.json.a: must be a single value (string, number, true/false or null), got a list`,
			`p.yaml:10:17: scenarios.s.request.extract.1x: "1x" is not a variable name (letters, digits and _, not starting with a digit)`,
			`p.yaml:10:45: scenarios.s.request.extract.y.header: an extraction has one source, but this one also has json`,
			"p.yaml:10:68: scenarios.s.request.extract.z.regex: invalid regexp: error parsing regexp: missing closing ): `(`"}},
		{"SLO syntax", "target: http://127.0.0.1\nscenarios: {s: {executor: constant-vus, vus: 1, duration: 1s, request: /}}\nslo:\n  - 'latency p95 < 2 parsecs'\n", []string{
			`p.yaml:4:20: slo[0]: latency threshold needs a duration unit: ns, µs, ms, s, m or h (e.g. 250ms)`}},
		{"SLO selector names nothing", "target: http://127.0.0.1\nscenarios: {s: {executor: constant-vus, vus: 1, duration: 1s, request: {name: login, url: /}}}\nslo:\n  - {expr: 'latency{request=logn} p95 < 2s', abort: 1}\n", []string{
			`p.yaml:4:29: slo[0].expr: no request is named "logn" (did you mean "login"?)`,
			`p.yaml:4:53: slo[0].abort: must be true or false, got "1"`}},
		{"allow_hosts entry", "allow_hosts: [a.example:443]\nscenarios: {}\n", []string{
			`p.yaml:1:15: allow_hosts[0]: must be a host without a port, not "a.example:443"`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"http section", "http: {timeout: -1s, late_after: 0, keep_alive: 1, max_conns: 1.5, headers: {A: [x]}}\nscenarios: {}\n", []string{
			`p.yaml:1:17: http.timeout: must not be negative, got "-1s"`,
			`p.yaml:1:34: http.late_after: must be greater than 0`,
			`p.yaml:1:49: http.keep_alive: must be true or false, got "1"`,
			`p.yaml:1:63: http.max_conns: must be a whole number, got "1.5"`,
			`p.yaml:1:81: http.headers.A: must be a string, got a list`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"header on two lines", "http: {headers: {A: \"x\\ny\"}}\nscenarios: {}\n", []string{
			`p.yaml:1:21: http.headers.A: a header value must be on one line (a | block ends with a line break: use |- or a quoted string)`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"nested feeder values", "feeders: {f: {values: [[1], {a: {b: 1}}]}}\nscenarios: {}\n", []string{
			`p.yaml:1:24: feeders.f.values[0]: must be a value or a mapping of values, got a list`,
			`p.yaml:1:33: feeders.f.values[1].a: must be a single value, got a mapping`,
			`p.yaml:2:1: scenarios: must define at least one scenario`}},
		{"unknown field brought by a merge", "x-d: &d {rate: 1, rat: 2}\n" + scenarioPlan("<<: *d\nexecutor: constant-arrival-rate\nduration: 1s\n"+req), []string{
			`p.yaml:1:19: scenarios.s.rat: unknown field (did you mean "rate"?)`}},
		{"x- keys only at the top", scenarioPlan("x-note: hi\nexecutor: constant-vus\nvus: 1\nduration: 1s\n" + req), []string{
			`p.yaml:4:5: scenarios.s.x-note: unknown field`}},
		{"alias cycle", "scenarios: &a {s: *a}\n", []string{`p.yaml:1:19: an alias refers to a node that contains it`}},
		{"alias bomb", aliasBomb(), []string{`p.yaml:6:4: the plan is too large once its aliases are expanded (more than 1000000 nodes)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s\nplan:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), tt.src)
			}
		})
	}
}

// aliasBomb is a few lines that expand to 10^8 nodes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g"} {
		b.WriteString(name + ": &" + name + " [")
		for i := 0; i < 10; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	b.WriteString("scenarios: *g\n")
	return b.String()
}

// TestPositionsInsideScalars checks that an error inside a template points
// at its character in the file, whatever the scalar's style.
func TestPositionsInsideScalars(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"plain", `body: x{{feed "nope" "x"}}`, "p.yaml:9:22"},
		{"single quoted", `body: 'it''s {{feed "nope" "x"}}'`, "p.yaml:9:28"},
		{"double quoted with escapes", `body: "\u00e9\t\"{{feed \"nope\" \"x\"}}"`, "p.yaml:9:33"},
		{"literal block", "body: |\n  line one\n    {{feed \"nope\" \"x\"}}", "p.yaml:11:19"},
		{"folded block: the value", "body: >\n  line one\n  {{feed \"nope\" \"x\"}}", "p.yaml:9:13"},
		{"multi-line plain: the value", "body: line one\n  {{feed \"nope\" \"x\"}}", "p.yaml:9:13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := scenarioPlan("executor: constant-vus\nvus: 1\nduration: 1s\nrequest:\n  url: /\n" + indent(tt.body, "  "))
			// Windows line ends and a byte-order mark change no position.
			for _, src := range []string{src, "\ufeff" + strings.ReplaceAll(src, "\n", "\r\n")} {
				got := parseErrors(t, src)
				if len(got) != 1 || !strings.HasPrefix(got[0], tt.want+":") {
					t.Errorf("errors = %q, want one at %s\nplan:\n%q", got, tt.want, src)
				}
			}
		})
	}
}

func TestErrorsGolden(t *testing.T) {
	_, err := Load("testdata/errors.yaml")
	if err == nil {
		t.Fatal("Load accepted testdata/errors.yaml")
	}
	got := err.Error() + "\n"
	const golden = "testdata/errors.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "plan.yaml", Line: 12, Col: 5, Field: "scenarios.browse.rate", Msg: "must be greater than 0"}, "plan.yaml:12:5: scenarios.browse.rate: must be greater than 0"},
		{Error{File: "plan.yaml", Line: 3, Msg: "invalid YAML: x"}, "plan.yaml:3: invalid YAML: x"},
		{Error{Field: "rate", Msg: "must be greater than 0"}, "rate: must be greater than 0"},
		{Error{Msg: "bare"}, "bare"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	es := Errors{&tests[0].e, &tests[2].e}
	if got, want := es.Error(), tests[0].want+"\n"+tests[2].want; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

// TestExamplePlans loads every example plan of testdata (all but
// errors.yaml must be valid).
func TestExamplePlans(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example plans: %v %v", files, err)
	}
	for _, f := range files {
		if filepath.Base(f) == "errors.yaml" {
			continue
		}
		p, err := Load(f)
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		for _, s := range p.Scenarios {
			if s.Length() <= 0 || len(s.Requests) == 0 {
				t.Errorf("%s: scenario %s has length %v and %d requests", f, s.Name, s.Length(), len(s.Requests))
			}
		}
	}
}

func TestProfilesExample(t *testing.T) {
	p, err := Load("testdata/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Length(), 8*time.Hour+30*time.Minute+20*time.Minute; got != want {
		t.Errorf("Length = %v, want %v (the breakpoint scenario ends last)", got, want)
	}
	spike := p.Scenarios[2]
	if r := spike.Requests[0]; r.Name != "spike search" || r.URL != `/search?q={{feed "ids" "id"}}` || !reflect.DeepEqual(r.Expect.Status, []int{200, 404}) {
		t.Errorf("spike request = %+v", *r)
	}
	if h := p.HTTP.Headers; len(h) != 2 || h[0].Key != "Accept" || h[1].Key != "Authorization" {
		t.Errorf("http headers = %q", h)
	}
	if soak := p.Scenarios[3]; soak.Stages[1].Duration != 8*time.Hour || soak.GracefulStop != time.Minute || soak.Requests[1].Name != "POST /events" {
		t.Errorf("soak = %+v", *soak)
	}
	if bp := p.Scenarios[4]; bp.PreAllocatedVUs != 2000 || bp.MaxVUs != 2000 || bp.StartRate != 100 || bp.Stages[0].Target != 2000 {
		t.Errorf("breakpoint = %+v", *bp)
	}
}
