package load

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// ErrHostNotAllowed is the failure of a request to a host that is neither
// loopback nor allowed by Attacker.AllowHost: Mayfly never load-tests a
// host by accident.
var ErrHostNotAllowed = errors.New("host not allowed (only loopback unless the plan lists it in allow_hosts)")

// newClient builds the HTTP/1.1 client the VUs share. fasthttp is used
// for its per-request cost (no allocation per request, pooled
// connections): the generator must not be the bottleneck.
func (a *Attacker) newClient() *fasthttp.Client {
	maxConns := a.MaxConns
	if maxConns <= 0 {
		maxConns = 1 << 20 // as many as VUs in flight
	}
	timeout := a.timeout()
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &fasthttp.Client{
		Name:                          "mayfly",
		MaxConnsPerHost:               maxConns,
		MaxConnWaitTimeout:            timeout,
		MaxIdleConnDuration:           90 * time.Second,
		ReadTimeout:                   timeout,
		WriteTimeout:                  timeout,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		NoDefaultUserAgentHeader:      false,
		Dial: func(addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("dial %s: %w", addr, err)
			}
			if !a.allowed(host) {
				return nil, fmt.Errorf("dial %s: %w", addr, ErrHostNotAllowed)
			}
			return dialer.Dial("tcp", addr)
		},
	}
}

func (a *Attacker) allowed(host string) bool {
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return true
	}
	return a.AllowHost != nil && a.AllowHost(host)
}

// classify maps a transport error to an ErrorKind.
func classify(err error) ErrorKind {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Reset
	}
	return Other
}
