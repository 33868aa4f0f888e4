package plan

import "testing"

func TestLoopbackRule(t *testing.T) {
	p := &Plan{AllowHosts: []string{"api.example", "2001:db8::1"}}
	tests := []struct {
		host            string
		loopback, allow bool
	}{
		{"127.0.0.1", true, true},
		{"127.9.9.9", true, true},
		{"::1", true, true},
		{"[::1]", true, true},
		{"LocalHost", true, true},
		{"localhost.example", false, false},
		{"10.0.0.1", false, false},
		{"API.example", false, true},
		{"[2001:db8::1]", false, true},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.loopback {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.loopback)
		}
		if got := p.Allows(tt.host); got != tt.allow {
			t.Errorf("Allows(%q) = %v, want %v", tt.host, got, tt.allow)
		}
	}
}

func TestCheckRequestURL(t *testing.T) {
	allow := map[string]bool{"api.example": true}
	tests := []struct {
		url       string
		hasTarget bool
		want      string
	}{
		{"/x", true, ""},
		{"/x", false, "a relative URL needs the plan's target (e.g. target: http://127.0.0.1:8080)"},
		{"{{var \"next\"}}", false, ""},
		{"http://api.example/x", false, ""},
		{"HTTPS://127.0.0.1:8443", false, ""},
		{"http://user@api.example:81?q", false, ""},
		{"http://{{var \"host\"}}/x", false, ""},
		{"http://evil.example/x", true, `host "evil.example" is not loopback: add it to allow_hosts to send load to it`},
		{"ftp://127.0.0.1/x", true, `must be http:// or https://, got "ftp://127.0.0.1/x"`},
		{"http:///x", true, `has no valid host: "http:///x"`},
	}
	for _, tt := range tests {
		if got := checkRequestURL(tt.url, tt.hasTarget, allow); got != tt.want {
			t.Errorf("checkRequestURL(%q, %v) = %q, want %q", tt.url, tt.hasTarget, got, tt.want)
		}
	}
}

func TestParseDurationAndRate(t *testing.T) {
	durations := map[string]string{"1m30s": "1m30s", "1.5": "1.5s", "0": "0s", "250ms": "250ms", " 2 ": "2s", "1e2": "1m40s"}
	for in, want := range durations {
		d, err := parseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "fast", "nan", "inf", "0x10", "1e300", "5 s"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		}
	}
	rates := map[string]float64{"100": 100, "100/s": 100, "6000/m": 100, "7200/h": 2, " 5 / s ": 5}
	for in, want := range rates {
		if r, err := parseRate(in); err != nil || r != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, r, err, want)
		}
	}
	for _, in := range []string{"", "fast", "1/d", "/s", "inf/s", "nan"} {
		if r, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) = %v, want an error", in, r)
		}
	}
}
