package plan

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// This file is the loopback rule: a plan sends traffic to loopback only,
// unless it lists other hosts in allow_hosts, so that a typo never
// load-tests someone's production.

// isLoopback reports whether host (no port, no brackets) is a loopback
// address or "localhost".
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeHost checks an allow_hosts entry and returns it in the form
// hostAllowed compares: lower case, without brackets. The message is
// non-empty when the entry is not a host name or address.
func normalizeHost(s string) (string, string) {
	h := strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ ") {
		return "", fmt.Sprintf("must be a host name or address (like api.staging.example), not %q", s)
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if net.ParseIP(h) == nil && strings.Contains(h, ":") {
		return "", fmt.Sprintf("must be a host without a port, not %q", s)
	}
	return h, ""
}

// hostAllowed reports whether traffic may go to host.
func hostAllowed(host string, allow map[string]bool) bool {
	return isLoopback(host) || allow[strings.ToLower(host)]
}

// notAllowed is the message for a host the plan may not send traffic to.
func notAllowed(host string) string {
	return fmt.Sprintf("host %q is not loopback: add it to allow_hosts to send load to it", host)
}

// checkBaseURL returns why s cannot be the plan's target, or "".
func checkBaseURL(s string, allow map[string]bool) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("must be an absolute http:// or https:// URL, got %q", s)
	}
	if !hostAllowed(u.Hostname(), allow) {
		return notAllowed(u.Hostname())
	}
	return ""
}

// isAbsolute reports whether a request URL names its own host.
func isAbsolute(rawURL string) bool {
	l := strings.ToLower(rawURL)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// checkRequestURL returns why a request's URL (a template) cannot be used,
// or "". A URL whose host is computed by a template is not checked here:
// the runner checks the hosts it dials against the same rule.
func checkRequestURL(s string, hasTarget bool, allow map[string]bool) string {
	switch {
	case strings.HasPrefix(s, "{{"):
		return ""
	case !isAbsolute(s):
		if strings.Contains(s, "://") {
			return fmt.Sprintf("must be http:// or https://, got %q", s)
		}
		if !hasTarget {
			return "a relative URL needs the plan's target (e.g. target: http://127.0.0.1:8080)"
		}
		return ""
	}
	rest := s[strings.Index(s, "://")+3:]
	hostPort := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hostPort = rest[:i]
	}
	if strings.Contains(hostPort, "{{") {
		return ""
	}
	u, err := url.Parse(s[:strings.Index(s, "://")+3] + hostPort)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("has no valid host: %q", s)
	}
	if !hostAllowed(u.Hostname(), allow) {
		return notAllowed(u.Hostname())
	}
	return ""
}
