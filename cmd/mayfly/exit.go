package main

import "fmt"

// Exit codes, stable for CI scripts (k6's numbers where k6 has one).
const (
	exitOK             = 0   // the run passed every SLO
	exitError          = 1   // something went wrong that is not the plan's fault
	exitUsage          = 2   // bad flags or arguments
	exitSLOFailed      = 99  // an SLO failed
	exitBadPlan        = 104 // the plan is invalid (every error is printed)
	exitInterrupted    = 105 // the run was interrupted (Ctrl-C, SIGTERM)
	exitAbortedBySLO   = 106 // an abort-on-fail SLO stopped the run early
	exitGeneratorBound = 110 // the generator could not keep the schedule: the numbers do not judge the server
)

// codeError carries an exit code through cobra.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *codeError) Unwrap() error { return e.err }
