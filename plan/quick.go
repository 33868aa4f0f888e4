package plan

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

// QuickOptions describe a test given on the command line instead of a
// plan file, e.g. mayfly run --url http://127.0.0.1:8080/ --rate 1000
// --duration 20s (open model) or --vus 50 --duration 10s (closed model).
type QuickOptions struct {
	URL     string   // absolute; its host must be loopback
	Method  string   // default GET
	Headers []Header // values may be templates
	Body    string   // a template
	// Exactly one of Rate (iterations per second: constant-arrival-rate)
	// and VUs (constant-vus) is set.
	Rate     float64
	VUs      int
	Duration time.Duration
	Timeout  time.Duration // per request; 0 means the default (30s)
	MaxVUs   int           // open model's cap of VUs in flight; 0 means the default
}

// Quick builds the one-scenario plan of quick mode (plan and scenario both
// named "quick"), with the defaults and checks of a plan file. Its errors
// name the option (url, rate, …) and have no position.
func Quick(q QuickOptions) (*Plan, error) {
	var errs Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	s := &Scenario{Name: "quick", GracefulStop: DefaultGracefulStop}
	switch {
	case math.IsInf(q.Rate, 0):
		bad("rate", "must be a finite number")
	case q.Rate > 0 && q.VUs > 0:
		bad("rate", "give a rate (open model) or vus (closed model), not both")
	case q.Rate > 0:
		s.Executor, s.Rate = ConstantArrivalRate, q.Rate
		if q.MaxVUs < 0 {
			bad("max_vus", "must not be negative, got %d", q.MaxVUs)
		}
		s.MaxVUs = DefaultMaxVUs
		if q.MaxVUs > 0 {
			s.MaxVUs = q.MaxVUs
		}
		s.PreAllocatedVUs = defaultPreAllocated(q.Rate, s.MaxVUs)
	case q.VUs > 0:
		s.Executor, s.VUs = ConstantVUs, q.VUs
		if q.MaxVUs != 0 {
			bad("max_vus", "applies to a rate (open model) only; with vus, the VUs are the cap")
		}
	default:
		if q.Rate < 0 || q.VUs < 0 {
			bad("rate", "rate and vus must not be negative")
		} else {
			bad("rate", "give a rate (e.g. 100, per second) or vus (e.g. 10)")
		}
	}
	if q.Duration <= 0 {
		bad("duration", "must be greater than 0 (e.g. 30s)")
	}
	s.Duration = q.Duration
	pl := &Plan{
		Name:      "quick",
		Seed:      DefaultSeed,
		HTTP:      HTTP{Timeout: DefaultTimeout, KeepAlive: true, LateAfter: DefaultLateAfter},
		Scenarios: []*Scenario{s},
	}
	switch {
	case q.Timeout < 0:
		bad("timeout", "must not be negative, got %v", q.Timeout)
	case q.Timeout > 0:
		pl.HTTP.Timeout = q.Timeout
	}

	r := &Request{Method: "GET", URL: q.URL, Body: q.Body}
	if q.Method != "" {
		if !isToken(q.Method) {
			bad("method", "%q is not an HTTP method", q.Method)
		}
		r.Method = strings.ToUpper(q.Method)
	}
	u, err := url.Parse(q.URL)
	switch {
	case q.URL == "":
		bad("url", "missing: the URL to send load to, e.g. http://127.0.0.1:8080/")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		bad("url", "must be an absolute http:// or https:// URL, got %q", q.URL)
	case !isLoopback(u.Hostname()):
		bad("url", "host %q is not loopback: quick mode only sends load to this machine; to test another host, write a plan that lists it in allow_hosts", u.Hostname())
	}
	p := &parser{}
	for _, h := range q.Headers {
		if !isToken(h.Key) {
			bad("header", "%q is not a valid header name", h.Key)
			continue
		}
		r.Headers = append(r.Headers, h)
		p.checkText("header "+h.Key, h.Value)
	}
	sortHeaders(r.Headers)
	p.checkText("url", q.URL)
	p.checkText("body", q.Body)
	errs = append(errs, p.errs...)
	r.Name = defaultName(r.Method, r.URL)
	s.Requests = []*Request{r}
	if len(errs) > 0 {
		return nil, errs
	}
	return pl, nil
}

// checkText checks a template that does not come from a file (no feeders
// exist in quick mode, so none may be named).
func (p *parser) checkText(field, text string) {
	p.template(nil, field, text, 0, map[string]bool{})
}
