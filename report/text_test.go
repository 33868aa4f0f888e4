package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestWriteTextGolden(t *testing.T) {
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, r, false); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".text.golden", b.Bytes())
		})
	}
}

// Colour touches the ✓ and ✗ marks and nothing else.
func TestWriteTextColor(t *testing.T) {
	r := fixtures()["fail"]
	var plain, colored bytes.Buffer
	if err := WriteText(&plain, r, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&colored, r, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "fail.color.golden", colored.Bytes())
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("color=false output has escape sequences")
	}
	marks := regexp.MustCompile("\x1b\\[3[12]m([✓✗])\x1b\\[0m")
	if got := len(marks.FindAllString(colored.String(), -1)); got != len(r.SLOs) {
		t.Errorf("%d coloured marks, want one per SLO (%d)", got, len(r.SLOs))
	}
	if stripped := marks.ReplaceAllString(colored.String(), "$1"); stripped != plain.String() {
		t.Errorf("colour changed more than the marks:\n%s", stripped)
	}
	if !strings.Contains(colored.String(), red+"✗"+reset) || !strings.Contains(colored.String(), green+"✓"+reset) {
		t.Error("want red ✗ and green ✓")
	}
}

// The lines a reader looks for, whatever the rest of the layout.
func TestWriteTextContent(t *testing.T) {
	fs := fixtures()
	tests := []struct {
		run  string
		want []string
		not  []string
	}{
		{"pass", []string{"TOTAL", "svc-p99", "errors by kind", "✓ latency{request=create_ticket} p95 < 2s   20.3ms", "verdict: PASS (all 3 SLOs met)"}, []string{"! generator-bound", "✗"}},
		{"fail", []string{"✗ latency{request=search} p99 < 1s  ", "2.31s", "no data: no requests matched request=logout", "verdict: FAIL (3 of 4 SLOs failed)"}, []string{"!"}},
		{"generator-bound", []string{"! generator-bound: 1.3% of requests", "does not blame the server", "! 12 iterations dropped (create_ticket 12)", "sent late", "verdict: GENERATOR-BOUND"}, nil},
		{"aborted", []string{"! aborted: SLO failed: errors < 1%", "breakpoint: 812/s was the last rate that held (p95 went over 2s at 850/s)", "verdict: ABORTED (SLO failed: errors < 1%)"}, nil},
		{"empty", []string{"TOTAL        0    0    0%    -", "verdict: ABORTED (interrupted)"}, []string{"SLOs", "errors by kind"}},
		{"duplicate-names", []string{"a/get ", "b/get ", "post ", "status  2  a/get 1, b/get 1", "script  3  post 3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.run, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, fs[tt.run], false); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}
