package plan

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestQuick(t *testing.T) {
	p, err := Quick(QuickOptions{
		URL: "http://127.0.0.1:8080/search?q=x", Method: "post", Rate: 1000, Duration: 20 * time.Second,
		Headers: []Header{{"X-Z", "1"}, {"Authorization", "Bearer {{uuid}}"}}, Body: `{"n": {{randInt 1 5}}}`,
		Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "quick" || p.File != "" || p.Seed != 1 || p.HTTP.Timeout != 2*time.Second || !p.HTTP.KeepAlive || p.HTTP.LateAfter != 10*time.Millisecond {
		t.Errorf("plan = %+v", *p)
	}
	s := p.Scenarios[0]
	want := Scenario{Name: "quick", Executor: ConstantArrivalRate, Rate: 1000, Duration: 20 * time.Second,
		PreAllocatedVUs: 1000, MaxVUs: 10000, GracefulStop: 30 * time.Second}
	got := *s
	got.Requests = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scenario =\n%+v\nwant\n%+v", got, want)
	}
	wantReq := &Request{Name: "POST /search", Method: "POST", URL: "http://127.0.0.1:8080/search?q=x",
		Headers: []Header{{"Authorization", "Bearer {{uuid}}"}, {"X-Z", "1"}}, Body: `{"n": {{randInt 1 5}}}`}
	if len(s.Requests) != 1 || !reflect.DeepEqual(s.Requests[0], wantReq) {
		t.Errorf("request = %+v, want %+v", s.Requests[0], wantReq)
	}

	p, err = Quick(QuickOptions{URL: "http://localhost", VUs: 50, Duration: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Scenarios[0]; s.Executor != ConstantVUs || s.VUs != 50 || s.Requests[0].Name != "GET /" || p.HTTP.Timeout != 30*time.Second {
		t.Errorf("vus scenario = %+v", *s)
	}
}

func TestQuickErrors(t *testing.T) {
	ok := QuickOptions{URL: "http://127.0.0.1/", Rate: 10, Duration: time.Second}
	tests := []struct {
		name string
		edit func(*QuickOptions)
		want string
	}{
		{"both", func(q *QuickOptions) { q.VUs = 2 }, "rate: give a rate (open model) or vus (closed model), not both"},
		{"neither", func(q *QuickOptions) { q.Rate = 0 }, "rate: give a rate (e.g. 100, per second) or vus (e.g. 10)"},
		{"no duration", func(q *QuickOptions) { q.Duration = 0 }, "duration: must be greater than 0 (e.g. 30s)"},
		{"no url", func(q *QuickOptions) { q.URL = "" }, "url: missing: the URL to send load to, e.g. http://127.0.0.1:8080/"},
		{"relative url", func(q *QuickOptions) { q.URL = "/x" }, `url: must be an absolute http:// or https:// URL, got "/x"`},
		{"not loopback", func(q *QuickOptions) { q.URL = "https://example.com/" },
			`url: host "example.com" is not loopback: quick mode only sends load to this machine; to test another host, write a plan that lists it in allow_hosts`},
		{"bad method", func(q *QuickOptions) { q.Method = "GET /" }, `method: "GET /" is not an HTTP method`},
		{"bad header", func(q *QuickOptions) { q.Headers = []Header{{"A B", "x"}} }, `header: "A B" is not a valid header name`},
		{"bad template", func(q *QuickOptions) { q.Body = "{{randInt}}" }, "body: at 1:3 of the value: template: randInt takes 2 arguments, got 0"},
		{"unknown feeder", func(q *QuickOptions) { q.Body = `{{feed "users" "name"}}` }, `body: at 1:9 of the value: template uses feeder "users", which is not defined`},
		{"max_vus with vus", func(q *QuickOptions) { q.Rate, q.VUs, q.MaxVUs = 0, 1, 5 }, "max_vus: applies to a rate (open model) only; with vus, the VUs are the cap"},
		{"negative timeout", func(q *QuickOptions) { q.Timeout = -time.Second }, "timeout: must not be negative, got -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ok
			tt.edit(&q)
			_, err := Quick(q)
			if err == nil {
				t.Fatal("Quick accepted it")
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("Quick error =\n%s\nwant it to contain\n%s", got, tt.want)
			}
			for _, e := range err.(Errors) {
				if e.Line != 0 || e.File != "" {
					t.Errorf("quick-mode error with a position: %+v", *e)
				}
			}
		})
	}
}
