package load

// Header is one request header.
type Header struct {
	Key, Value string
}

// Request is one HTTP request, ready to send.
type Request struct {
	// Name groups measurements; "" means the scenario's name.
	Name   string
	Method string // "" means GET
	URL    string // absolute: scheme, host, path and query
	Header []Header
	Body   []byte

	// Expect is the set of acceptable statuses; empty means any status
	// below 400.
	Expect []int

	// Check, if set, judges a response that passed Expect; a non-nil error
	// marks the hit as a failed check (Kind Check) with the error's text.
	Check func(*Response) error

	// KeepBody asks for the response body in Response.Body (for checks and
	// for passing values to later requests). Without it the body is read
	// and discarded.
	KeepBody bool
}

// Response is what a request got back. It is only valid until the
// iteration's next request.
type Response struct {
	Status int
	Kind   ErrorKind // OK, or why the request failed
	Body   []byte    // nil unless Request.KeepBody (or Check) asked for it
	header func(key string) string
}

// Header returns the value of the response header key ("" if absent).
func (r *Response) Header(key string) string {
	if r.header == nil {
		return ""
	}
	return r.header(key)
}

// NewResponse builds a Response; for tests of code that consumes
// responses (checks, extractors).
func NewResponse(status int, body []byte, header map[string]string) *Response {
	return &Response{Status: status, Body: body, header: func(k string) string {
		for hk, v := range header {
			if equalFold(hk, k) {
				return v
			}
		}
		return ""
	}}
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
