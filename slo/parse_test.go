package slo

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		expr, canonical string
		threshold       float64
		window          time.Duration
	}{
		// The brief's examples.
		{`latency{request=create_ticket} p95 < 2s`, `latency{request=create_ticket} p95 < 2s`, 2, 0},
		{`latency p99.9 < 250ms`, `latency p99.9 < 250ms`, 0.25, 0},
		{`service_time{scenario="browse"} max <= 1.5s`, `service_time{scenario=browse} max <= 1.5s`, 1.5, 0},
		{`rate >= 100/s`, `rate >= 100/s`, 100, 0},
		{`rate{request=login} > 6000/m`, `rate{request=login} > 6000/m`, 100, 0},
		{`errors < 1%`, `errors < 1%`, 0.01, 0},
		{`errors{scenario=checkout} over 30s < 5%`, `errors{scenario=checkout} over 30s < 5%`, 0.05, 30 * time.Second},
		{`checks >= 99.5%`, `checks >= 99.5%`, 0.995, 0},
		{`dropped == 0`, `dropped == 0`, 0, 0},
		{`late < 1%`, `late < 1%`, 0.01, 0},
		{`latency p99 over 1m < 500ms`, `latency p99 over 1m < 500ms`, 0.5, time.Minute},

		// Canonical forms.
		{`rate >= 100`, `rate >= 100/s`, 100, 0},
		{`latency mean < 20us`, `latency avg < 20µs`, 20e-6, 0},
		{`latency avg < 20μs`, `latency avg < 20µs`, 20e-6, 0}, // Greek mu
		{`latency p99.90 < 2.50s`, `latency p99.9 < 2.5s`, 2.5, 0},
		{`latency p050 < 1 s`, `latency p50 < 1s`, 1, 0},
		{`latency p100 != 3ns`, `latency p100 != 3ns`, 3e-9, 0},
		{`latency p99.99 < 1h`, `latency p99.99 < 1h`, 3600, 0},
		{"  latency{ scenario = \"a b\" , request=x }\tmin>=1m", `latency{request=x,scenario="a b"} min >= 1m`, 60, 0},
		{`latency{} p95 < 2s`, `latency p95 < 2s`, 2, 0},
		{`latency{request="GET /api/tickets"} p95<2s`, `latency{request="GET /api/tickets"} p95 < 2s`, 2, 0},
		{`latency{request=404-page.v2} p95 < 2s`, `latency{request=404-page.v2} p95 < 2s`, 2, 0},
		{`errors over 90s <= 0.1 %`, `errors over 90s <= 0.1%`, 0.001, 90 * time.Second},
		{`errors over 1.5m < 2%`, `errors over 90s < 2%`, 0.02, 90 * time.Second},
		{`errors over 1000ms < 2%`, `errors over 1s < 2%`, 0.02, time.Second},
		{`errors over 60m < 2%`, `errors over 1h < 2%`, 0.02, time.Hour},
		{`checks > 0.29%`, `checks > 0.29%`, 0.0029, 0},
		{`rate{scenario=s} over 10s >= 0.5/s`, `rate{scenario=s} over 10s >= 0.5/s`, 0.5, 10 * time.Second},
		{`rate < 1 /m`, `rate < 1/m`, 1.0 / 60, 0},
		{`requests >= 1000`, `requests >= 1000`, 1000, 0},
		{`dropped{scenario=browse} < 5`, `dropped{scenario=browse} < 5`, 5, 0},
	} {
		o, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if got := o.String(); got != tc.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.expr, got, tc.canonical)
		}
		if math.Abs(o.Threshold-tc.threshold) > 1e-12*math.Max(1, tc.threshold) {
			t.Errorf("Parse(%q).Threshold = %v, want %v", tc.expr, o.Threshold, tc.threshold)
		}
		if o.Window != tc.window {
			t.Errorf("Parse(%q).Window = %v, want %v", tc.expr, o.Window, tc.window)
		}
		if o.Expr != tc.expr {
			t.Errorf("Parse(%q).Expr = %q", tc.expr, o.Expr)
		}
		// The canonical form is a fixed point.
		o2, err := Parse(tc.canonical)
		if err != nil || o2.String() != tc.canonical {
			t.Errorf("Parse(%q) = %v, %v; want it to print itself", tc.canonical, o2, err)
		}
	}
}

func TestParseFields(t *testing.T) {
	o, err := Parse(`service_time{scenario="browse", request=list} p99.9 over 2m <= 1.5s`)
	if err != nil {
		t.Fatal(err)
	}
	want := Objective{Metric: "service_time", Stat: "p99.9", Window: 2 * time.Minute, Op: "<=", Threshold: 1.5, Unit: "s"}
	if o.Metric != want.Metric || o.Stat != want.Stat || o.Window != want.Window || o.Op != want.Op ||
		o.Threshold != want.Threshold || o.Unit != want.Unit {
		t.Errorf("got %+v, want %+v", *o, want)
	}
	if len(o.Labels) != 2 || o.Labels["scenario"] != "browse" || o.Labels["request"] != "list" {
		t.Errorf("labels = %v", o.Labels)
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct{ expr, err string }{
		{``, `1:1: empty objective: expected a metric, e.g. latency p95 < 2s`},
		{`   `, `1:4: empty objective: expected a metric, e.g. latency p95 < 2s`},
		{`latncy p95 < 2s`, `1:1: unknown metric "latncy" (did you mean latency?)`},
		{`Latency p95 < 2s`, `1:1: unknown metric "Latency" (did you mean latency?)`},
		{`cpu avg < 70%`, `1:1: unknown metric "cpu" (known: checks, dropped, errors, late, latency, rate, requests, service_time)`},
		{`95 < 2s`, `1:1: expected a metric name, got "95"`},
		{`{request=a} p95 < 2s`, `1:1: expected a metric name, got "{"`},
		{`latency < 2s`, `1:9: latency needs a statistic before "<": p50, p95, p99, p99.9, avg, min or max`},
		{`latency over 1m < 2s`, `1:9: latency needs a statistic before "over": p50, p95, p99, p99.9, avg, min or max`},
		{`latency p95x < 2s`, `1:9: unknown statistic "p95x" (use p50, p95, p99, p99.9, avg, min or max)`},
		{`latency median < 2s`, `1:9: unknown statistic "median" (use p50, p95, p99, p99.9, avg, min or max)`},
		{`latency p0 < 2s`, `1:9: percentile must be above 0 and at most 100 (got p0)`},
		{`latency p100.1 < 2s`, `1:9: percentile must be above 0 and at most 100 (got p100.1)`},
		{`errors p95 < 1%`, `1:8: errors takes no statistic (got "p95")`},
		{`latency p95 2s`, `1:13: expected a comparison (<, <=, >, >=, ==, !=), got "2s"`},
		{`latency p95 = 2s`, `1:13: expected a comparison (<, <=, >, >=, ==, !=), got "=" (use == for equality)`},
		{`latency p95 =< 2s`, `1:13: expected a comparison (<, <=, >, >=, ==, !=), got "=" (use == for equality)`},
		{`errors ! 1%`, `1:8: unexpected "!" (did you mean !=?)`},
		{`latency p95 <`, `1:14: expected a number, got end of expression`},
		{`latency p95 < fast`, `1:15: expected a number, got "fast"`},
		{`latency p95 < 2`, `1:15: latency threshold needs a duration unit: ns, µs, ms, s, m or h (e.g. 250ms)`},
		{`latency p95 < 2sec`, `1:15: latency threshold needs a duration unit: ns, µs, ms, s, m or h (e.g. 250ms)`},
		{`latency p95 < 2%`, `1:15: latency threshold needs a duration unit: ns, µs, ms, s, m or h (e.g. 250ms)`},
		{`errors < 0.01`, `1:10: errors threshold needs a percentage, e.g. 1%`},
		{`errors < 1ms`, `1:10: errors threshold needs a percentage, e.g. 1%`},
		{`checks >= 101%`, `1:11: checks threshold above 100%`},
		{`rate >= 100/h`, `1:9: rate threshold takes /s or /m, not "/h"`},
		{`rate >= 100/`, `1:13: expected s or m after /, got end of expression`},
		{`rate >= 10%`, `1:9: rate threshold takes /s or /m, not "%"`},
		{`dropped == 0%`, `1:12: dropped threshold is a plain number, without unit "%"`},
		{`requests > 1k`, `1:12: requests threshold is a plain number, without unit "k"`},
		{`errors < 1% please`, `1:13: unexpected "please" after the threshold`},
		{`errors < 1% , x`, `1:13: unexpected "," after the threshold`},
		{`latency{request=a p95 < 2s`, `1:19: expected , or } in the selector, got "p95"`},
		{`latency{request=a`, `1:8: unclosed {`},
		{`latency{request=a,`, `1:8: unclosed {`},
		{`latency{reqest=a} p95 < 2s`, `1:9: unknown label "reqest" for latency (did you mean request?)`},
		{`latency{host=a} p95 < 2s`, `1:9: unknown label "host" for latency (known: request, scenario)`},
		{`dropped{request=a} == 0`, `1:9: unknown label "request" for dropped (known: scenario)`},
		{`latency{request=a,request=b} p95 < 2s`, `1:19: label "request" given twice`},
		{`latency{request a} p95 < 2s`, `1:17: expected = after label "request", got "a"`},
		{`latency{request=} p95 < 2s`, `1:17: expected a value for label "request", got "}"`},
		{`latency{request=""} p95 < 2s`, `1:17: empty value for label "request"`},
		{`latency{"request"=a} p95 < 2s`, `1:9: expected a label name, got string "request"`},
		{`latency{request="a} p95 < 2s`, `1:17: unterminated string`},
		{`latency{request="a\q"} p95 < 2s`, `1:17: invalid quoted string "a\q"`},
		{`latency p95 < 2s;`, `1:17: unexpected character ';'`},
		{`latency p95 over < 2s`, `1:18: expected a window length such as 1m, got "<"`},
		{`latency p95 over 1 < 2s`, `1:18: window "1" needs a duration unit: ns, µs, ms, s, m or h`},
		{`latency p95 over 500ms < 2s`, `1:18: window must be a whole number of seconds, at least 1s (got 500ms)`},
		{`latency p95 over 1.5s < 2s`, `1:18: window must be a whole number of seconds, at least 1s (got 1.5s)`},
		{`latency p95 over 0s < 2s`, `1:18: window must be a whole number of seconds, at least 1s (got 0s)`},
		{`latency p95 over 25h < 2s`, `1:18: window longer than 24h`},
		{`requests > ` + strings.Repeat("9", 400), `1:12: number ` + strings.Repeat("9", 400) + ` out of range`},
		{`latency p95 < ` + strings.Repeat("9", 308) + `h`, `1:15: number ` + strings.Repeat("9", 308) + `h out of range`},
		// Columns count characters, not bytes.
		{`latency{request="é"} p95 < 2 µs x`, `1:33: unexpected "x" after the threshold`},
	} {
		_, err := Parse(tc.expr)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", tc.expr, tc.err)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", tc.expr, err)
			continue
		}
		if err.Error() != tc.err {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.expr, err, tc.err)
		}
		if se.Col < 1 || se.Col > utf8.RuneCountInString(tc.expr)+1 {
			t.Errorf("Parse(%q): column %d outside the expression", tc.expr, se.Col)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`latency{request=create_ticket} p95 < 2s`, `latency p99.9 < 250ms`,
		`service_time{scenario="browse"} max <= 1.5s`, `rate >= 100/s`, `rate{request=login} > 6000/m`,
		`errors < 1%`, `errors{scenario=checkout} over 30s < 5%`, `checks >= 99.5%`, `dropped == 0`,
		`late < 1%`, `latency{request="a\"b"} p50 over 1h != 3 µs`, `latency{`, `"`, `p95 < 2s`, `rate >= 1e3/s`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		o, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", expr, err)
			}
			if se.Col < 1 || se.Col > len(expr)+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", expr, se.Col, len(expr)+1)
			}
			return
		}
		if math.IsNaN(o.Threshold) || math.IsInf(o.Threshold, 0) {
			t.Fatalf("Parse(%q).Threshold = %v", expr, o.Threshold)
		}
		// The canonical form parses back to itself.
		c := o.String()
		o2, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", expr, c, err)
		}
		if c2 := o2.String(); c2 != c {
			t.Fatalf("Parse(%q): canonical %q reprints as %q", expr, c, c2)
		}
	})
}
