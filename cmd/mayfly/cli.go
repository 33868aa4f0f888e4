package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
)

// system is everything of the operating system the CLI touches, so that
// tests run the CLI in-process with their own.
type system struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// isTTY reports whether w is a terminal (for the progress bar and colour).
func (s *system) isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && s.getenv("TERM") != "dumb"
}

func (s *system) width() int {
	if n, err := strconv.Atoi(s.getenv("COLUMNS")); err == nil && n > 20 {
		return n
	}
	return 100
}

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	sys := &system{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "mayfly",
		Short: "Performance tests in ephemeral environments, with honest latency and SLOs",
		Long: `Mayfly drives load against HTTP services (open model: arrival rates; closed
model: virtual users), times every request from when it was due, judges the
run against SLOs and writes a summary, JSON and JUnit.

Exit codes: 0 pass, 1 error, 2 usage, 99 SLO failed, 104 bad plan,
105 interrupted, 106 aborted by an SLO, 110 generator-bound.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.AddCommand(runCommand(sys), validateCommand(sys), demoCommand(sys), targetCommand(sys), versionCommand(sys))

	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil && ce.err.Error() != "" {
			fmt.Fprintln(stderr, "mayfly:", ce.err)
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "mayfly:", err)
	// Cobra's own errors are about flags and arguments.
	return exitUsage
}

// version is set by the release build (-ldflags "-X main.version=…").
var version = "dev"

func versionCommand(sys *system) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Mayfly's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(sys.stdout, "mayfly", version)
			return nil
		},
	}
}
