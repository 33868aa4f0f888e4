package main

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-perf/mayfly/internal/target"
	"github.com/mayfly-perf/mayfly/plan"
)

// demoPlan is the demo's test: browsing at a ramping arrival rate and
// logged-in users in a closed loop, judged by SLOs.
//
//go:embed demo.yaml
var demoPlan []byte

func demoCommand(sys *system) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a short demo test against a built-in service on 127.0.0.1",
		Long: `Start Mayfly's built-in demo service on a free loopback port and run the
demo plan against it (about 20 seconds; --duration-scale shortens it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := plan.Parse("demo.yaml", demoPlan)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("demo plan: %w", err)}
			}
			if p, err = f.adjust(p); err != nil {
				return err
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return &codeError{exitError, fmt.Errorf("listen for the demo service: %w", err)}
			}
			srv := &http.Server{Handler: target.NewServer(target.Options{}), ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l) }()
			defer func() {
				srv.Close()
				<-served
			}()
			p.Target = "http://" + l.Addr().String()
			fmt.Fprintf(sys.stdout, "mayfly: demo service on %s\n", p.Target)
			return execute(sys, p, &f)
		},
	}
	f.register(cmd, false)
	return cmd
}

func targetCommand(sys *system) *cobra.Command {
	var (
		addr                 string
		stallEvery, stallFor time.Duration
	)
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Serve the built-in demo service (for trying Mayfly and for benchmarks)",
		Long: `Serve the demo service until interrupted. Routes: GET /ok (20 bytes),
GET /items/{id}, POST /login, GET /me, GET /slow?ms=N, GET /status/{code}.
--stall-every 5s --stall-for 500ms pauses all handling like a stop-the-world
pause, to show coordinated omission.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if err != nil || !plan.IsLoopback(host) {
				return &codeError{exitUsage, fmt.Errorf("--addr %q: want a loopback host:port", addr)}
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("listen: %w", err)}
			}
			srv := &http.Server{Handler: target.NewServer(target.Options{StallEvery: stallEvery, StallFor: stallFor}), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(sys.stdout, "mayfly: demo service on http://%s\n", l.Addr())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l) }()
			select {
			case err := <-served:
				return &codeError{exitError, err}
			case <-sys.ctx.Done():
			}
			srv.Close()
			if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return &codeError{exitError, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (loopback only)")
	cmd.Flags().DurationVar(&stallEvery, "stall-every", 0, "pause all handling this often")
	cmd.Flags().DurationVar(&stallFor, "stall-for", 0, "for this long")
	return cmd
}
