package main

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-perf/mayfly/internal/runner"
	"github.com/mayfly-perf/mayfly/plan"
)

// runFlags are the flags of `mayfly run` (and, in part, `mayfly demo`).
type runFlags struct {
	// quick mode
	url      string
	method   string
	headers  []string
	body     string
	rate     float64
	vus      int
	duration time.Duration
	timeout  time.Duration
	maxVUs   int

	// plans
	target string
	scale  float64
	seed   int64

	// output
	out     string
	quiet   bool
	noColor bool
}

func (f *runFlags) register(cmd *cobra.Command, quick bool) {
	fl := cmd.Flags()
	if quick {
		fl.StringVar(&f.url, "url", "", "quick mode: the URL to load-test (no plan file)")
		fl.StringVarP(&f.method, "method", "m", "GET", "quick mode: HTTP method")
		fl.StringArrayVarP(&f.headers, "header", "H", nil, `quick mode: a request header "Key: Value" (repeatable)`)
		fl.StringVarP(&f.body, "data", "d", "", "quick mode: request body")
		fl.Float64Var(&f.rate, "rate", 0, "quick mode: open model, requests per second")
		fl.IntVar(&f.vus, "vus", 0, "quick mode: closed model, virtual users looping")
		fl.DurationVar(&f.duration, "duration", 10*time.Second, "quick mode: how long to run")
		fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "quick mode: per-request timeout")
		fl.IntVar(&f.maxVUs, "max-vus", 0, "quick mode: at most this many requests in flight (open model; default 10000)")
		fl.StringVar(&f.target, "target", "", "base URL that overrides the plan's target")
	}
	fl.Float64Var(&f.scale, "duration-scale", 1, "multiply every duration of the plan (e.g. 0.01 for CI)")
	fl.Int64Var(&f.seed, "seed", -1, "override the plan's seed (same seed, same requests)")
	fl.StringVar(&f.out, "out", "", "results directory (default mayfly-results/NAME-TIME)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
	fl.BoolVar(&f.noColor, "no-color", false, "no colour in the summary")
}

func runCommand(sys *system) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [PLAN.yaml]",
		Short: "Run a plan, or a quick test of one URL",
		Long: `Run a plan file, or without one a quick test of one URL:

  mayfly run plan.yaml
  mayfly run --url http://127.0.0.1:8080/ok --rate 1000 --duration 20s   (open model)
  mayfly run --url http://127.0.0.1:8080/ok --vus 50 --duration 10s      (closed model)`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.plan(cmd, args)
			if err != nil {
				return err
			}
			return execute(sys, p, &f)
		},
	}
	f.register(cmd, true)
	return cmd
}

// plan builds the plan from a file or from quick-mode flags.
func (f *runFlags) plan(cmd *cobra.Command, args []string) (*plan.Plan, error) {
	quick := f.url != "" || cmd.Flags().Changed("rate") || cmd.Flags().Changed("vus")
	switch {
	case len(args) == 1 && quick:
		return nil, &codeError{exitUsage, errors.New("give a plan file or --url, not both")}
	case len(args) == 1:
		p, err := plan.Load(args[0])
		if err != nil {
			return nil, &codeError{exitBadPlan, err}
		}
		if f.target != "" {
			if err := setTarget(p, f.target); err != nil {
				return nil, &codeError{exitUsage, err}
			}
		}
		return f.adjust(p)
	case f.url == "":
		return nil, &codeError{exitUsage, errors.New("give a plan file, or --url with --rate or --vus (see mayfly run --help)")}
	}
	var hs []plan.Header
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &codeError{exitUsage, fmt.Errorf("header %q: want \"Key: Value\"", h)}
		}
		hs = append(hs, plan.Header{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	p, err := plan.Quick(plan.QuickOptions{
		URL: f.url, Method: f.method, Headers: hs, Body: f.body,
		Rate: f.rate, VUs: f.vus, Duration: f.duration, Timeout: f.timeout, MaxVUs: f.maxVUs,
	})
	if err != nil {
		return nil, &codeError{exitUsage, err}
	}
	return f.adjust(p)
}

func (f *runFlags) adjust(p *plan.Plan) (*plan.Plan, error) {
	if f.scale <= 0 {
		return nil, &codeError{exitUsage, fmt.Errorf("--duration-scale %v: must be above 0", f.scale)}
	}
	if f.scale != 1 {
		p.Scale(f.scale)
	}
	if f.seed >= 0 {
		p.Seed = uint64(f.seed)
	}
	return p, nil
}

// setTarget overrides the plan's base URL; the same loopback rule holds.
func setTarget(p *plan.Plan, target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--target %q: want an absolute http(s) URL", target)
	}
	if !p.Allows(u.Hostname()) {
		return fmt.Errorf("--target %q: not a loopback host and not in the plan's allow_hosts", target)
	}
	p.Target = strings.TrimRight(target, "/")
	return nil
}

// execute runs p and maps the outcome to an exit code.
func execute(sys *system, p *plan.Plan, f *runFlags) error {
	out := f.out
	if out == "" {
		out = filepath.Join("mayfly-results", fmt.Sprintf("%s-%s", p.Name, time.Now().Format("20060102-150405")))
	}
	opt := runner.Options{Out: out, Stdout: sys.stdout, Color: !f.noColor && sys.isTTY(sys.stdout), Width: sys.width()}
	switch {
	case f.quiet:
	case sys.isTTY(sys.stdout):
		opt.Progress = runner.ProgressBar
	default:
		opt.Progress = runner.ProgressLines
	}
	fmt.Fprintf(sys.stdout, "mayfly: %s: %d scenario(s), about %v; results in %s\n", p.Name, len(p.Scenarios), p.Length().Round(time.Second), out)
	o, err := runner.Run(sys.ctx, p, opt)
	if err != nil {
		return &codeError{exitError, err}
	}
	switch o.Verdict {
	case runner.Passed:
		return nil
	case runner.Failed:
		return &codeError{exitSLOFailed, nil}
	case runner.GeneratorBound:
		return &codeError{exitGeneratorBound, nil}
	case runner.AbortedBySLO:
		return &codeError{exitAbortedBySLO, nil}
	default:
		return &codeError{exitInterrupted, nil}
	}
}

func validateCommand(sys *system) *cobra.Command {
	return &cobra.Command{
		Use:   "validate PLAN.yaml...",
		Short: "Check plans without running them; every error with file:line:column",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				p, err := plan.Load(path)
				if err != nil {
					fmt.Fprintln(sys.stderr, err)
					bad++
					continue
				}
				fmt.Fprintf(sys.stdout, "%s: ok (%d scenario(s), %d SLO(s), about %v)\n", path, len(p.Scenarios), len(p.SLOs), p.Length().Round(time.Second))
			}
			if bad > 0 {
				return &codeError{exitBadPlan, nil}
			}
			return nil
		},
	}
}
