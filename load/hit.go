package load

import (
	"fmt"
	"time"
)

// ErrorKind classifies a failed request. A request fails when it got no
// response (Timeout, Refused, Reset, Other), a status it did not expect
// (Status), or a response that failed a check (Check). Script means the
// request could not be built (a template error, an exhausted feeder) and
// was never sent.
type ErrorKind uint8

const (
	OK ErrorKind = iota
	Timeout
	Refused
	Reset
	Status
	Check
	Script
	Other
	numKinds
)

var kindNames = [numKinds]string{"ok", "timeout", "refused", "reset", "status", "check", "script", "other"}

// String is the kind's stable name, as used in summary.json.
func (k ErrorKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ErrorKinds lists every kind but OK, in a stable order.
func ErrorKinds() []ErrorKind {
	return []ErrorKind{Timeout, Refused, Reset, Status, Check, Script, Other}
}

// Hit is the measurement of one request.
type Hit struct {
	Scenario string
	Name     string    // request name; the scenario's name for unnamed requests
	Intended time.Time // when the request was due (open model: the schedule)
	Sent     time.Time // when it was actually handed to the connection
	Done     time.Time // when the response was read completely (or the failure)
	Status   int       // HTTP status; 0 when there was no response
	Kind     ErrorKind
	Error    string // what went wrong, for error samples; "" when Kind == OK
	BytesIn  int64  // response body bytes
	BytesOut int64  // request body bytes
}

// Latency is the time from when the request was due to its completion: what
// a user arriving on schedule would have seen.
func (h *Hit) Latency() time.Duration { return h.Done.Sub(h.Intended) }

// ServiceTime is the time from the actual send to completion: what the
// server and network took, without the generator's queueing.
func (h *Hit) ServiceTime() time.Duration { return h.Done.Sub(h.Sent) }

// Lag is how late the generator sent the request.
func (h *Hit) Lag() time.Duration { return h.Sent.Sub(h.Intended) }
