package report

import (
	"bytes"
	"encoding/xml"
	"testing"
)

func TestWriteJUnitGolden(t *testing.T) {
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".junit.golden", b.Bytes())
		})
	}
}

// TestJUnitDecodes reads each junit.xml back as a CI system would and
// checks the counts against the run.
func TestJUnitDecodes(t *testing.T) {
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	}
	type tcase struct {
		Name      string   `xml:"name,attr"`
		ClassName string   `xml:"classname,attr"`
		Failure   *problem `xml:"failure"`
		Error     *problem `xml:"error"`
	}
	type doc struct {
		Tests, Failures, Errors int
		Suites                  []struct {
			Name     string  `xml:"name,attr"`
			Tests    int     `xml:"tests,attr"`
			Failures int     `xml:"failures,attr"`
			Errors   int     `xml:"errors,attr"`
			Time     float64 `xml:"time,attr"`
			Cases    []tcase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, r); err != nil {
				t.Fatal(err)
			}
			var d doc
			if err := xml.Unmarshal(b.Bytes(), &d); err != nil {
				t.Fatalf("junit.xml is not well-formed: %v", err)
			}
			if len(d.Suites) != 1 {
				t.Fatalf("%d testsuites, want 1", len(d.Suites))
			}
			s := d.Suites[0]
			if s.Name != "mayfly: "+r.Name {
				t.Errorf("suite name %q", s.Name)
			}
			failed := 0
			for _, res := range r.SLOs {
				if !res.Pass {
					failed++
				}
			}
			wantFail := failed
			if r.GeneratorBound != "" {
				wantFail++
			}
			wantErr := 0
			if r.Aborted != "" {
				wantErr = 1
			}
			if s.Tests != len(r.SLOs)+2 || s.Failures != wantFail || s.Errors != wantErr {
				t.Errorf("tests/failures/errors = %d/%d/%d, want %d/%d/%d", s.Tests, s.Failures, s.Errors, len(r.SLOs)+2, wantFail, wantErr)
			}
			if len(s.Cases) != s.Tests {
				t.Errorf("%d testcases, tests=%d", len(s.Cases), s.Tests)
			}
			lifecycle := r.Duration
			if len(r.Phases) > 0 {
				lifecycle = 0
				for _, p := range r.Phases {
					lifecycle += p.Duration
				}
			}
			if s.Time != lifecycle.Seconds() {
				t.Errorf("suite time %v, want %v", s.Time, lifecycle)
			}
			for i, res := range r.SLOs {
				c := s.Cases[i]
				if c.Name != res.Objective.Expr || c.ClassName != r.Name {
					t.Errorf("case %d is %q (%q), want %q (%q)", i, c.Name, c.ClassName, res.Objective.Expr, r.Name)
				}
				if (c.Failure != nil) == res.Pass {
					t.Errorf("case %q: failure %v but pass %v", c.Name, c.Failure, res.Pass)
				}
				if c.Failure != nil && c.Failure.Type != "slo" {
					t.Errorf("case %q: failure type %q", c.Name, c.Failure.Type)
				}
				if c.Failure != nil && res.Missing == "" && c.Failure.Message != "measured "+res.Text {
					t.Errorf("case %q: message %q", c.Name, c.Failure.Message)
				}
			}
			gen, run := s.Cases[len(s.Cases)-2], s.Cases[len(s.Cases)-1]
			if gen.Name != "generator" || (gen.Failure != nil) != (r.GeneratorBound != "") {
				t.Errorf("generator case %+v for GeneratorBound %q", gen, r.GeneratorBound)
			}
			if run.Name != "run" || (run.Error != nil) != (r.Aborted != "") {
				t.Errorf("run case %+v for Aborted %q", run, r.Aborted)
			}
		})
	}
}
