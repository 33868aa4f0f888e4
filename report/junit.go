package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The JUnit XML shape CI systems (Jenkins, GitLab, GitHub Actions
// reporters) agree on: testsuites > testsuite > testcase, a failure for a
// test that ran and did not meet its expectation, an error for one that
// could not run to the end.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as junit.xml: one testsuite "mayfly: NAME" holding a
// testcase per SLO (named by its expression; a failure when it failed or
// had nothing to measure), a testcase "generator" that fails when the run
// was generator-bound, and a testcase "run" with an error when the run was
// aborted. The suite's time is the whole lifecycle (the sum of the phases,
// or the load phase when there are none); the "run" case's time is the
// load phase; SLO and generator cases take no time of their own.
func WriteJUnit(w io.Writer, r *Run) error {
	if r == nil {
		return errors.New("write junit.xml: no run")
	}
	suite := junitSuite{
		Name:       "mayfly: " + r.Name,
		Properties: []junitProperty{{"seed", strconv.FormatUint(r.Seed, 10)}, {"verdict", r.Verdict()}},
	}
	if !r.Started.IsZero() {
		// The JUnit schema's timestamp has no zone: write UTC.
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	var lifecycle time.Duration
	for _, p := range r.Phases {
		lifecycle += p.Duration
	}
	if len(r.Phases) == 0 {
		lifecycle = r.Duration
	}
	suite.Time = junitTime(lifecycle)

	for _, res := range r.SLOs {
		c := junitCase{ClassName: r.Name, Time: junitTime(0)}
		if res.Objective != nil {
			c.Name = res.Objective.Expr
		}
		switch {
		case res.Missing != "":
			c.Failure = &junitProblem{Message: "no data: " + res.Missing, Type: "slo",
				Text: c.Name + ": nothing to measure: " + res.Missing}
		case !res.Pass:
			c.Failure = &junitProblem{Message: "measured " + res.Text, Type: "slo",
				Text: c.Name + ": measured " + res.Text}
		}
		suite.Cases = append(suite.Cases, c)
	}

	gen := junitCase{Name: "generator", ClassName: r.Name, Time: junitTime(0)}
	if r.GeneratorBound != "" {
		gen.Failure = &junitProblem{Message: "generator-bound: " + r.GeneratorBound, Type: "generator",
			Text: "The load generator could not keep to its schedule (" + r.GeneratorBound +
				"), so it, not the server, limited this run."}
	}
	suite.Cases = append(suite.Cases, gen)

	run := junitCase{Name: "run", ClassName: r.Name, Time: junitTime(r.Duration)}
	if r.Aborted != "" {
		run.Error = &junitProblem{Message: "aborted: " + r.Aborted, Type: "aborted",
			Text: "The run stopped early: " + r.Aborted}
	}
	suite.Cases = append(suite.Cases, run)

	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Error != nil {
			suite.Errors++
		}
	}
	doc := junitSuites{Name: "mayfly", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite}}

	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit.xml: %w", err)
	}
	out := make([]byte, 0, len(xml.Header)+len(b)+1)
	out = append(append(append(out, xml.Header...), b...), '\n')
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write junit.xml: %w", err)
	}
	return nil
}

// junitTime is d in seconds with millisecond precision, as JUnit wants.
func junitTime(d time.Duration) string {
	return strconv.FormatFloat(seconds(d), 'f', 3, 64)
}
