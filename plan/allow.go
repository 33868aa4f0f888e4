package plan

import "strings"

// IsLoopback reports whether host (no port) is a loopback address or
// "localhost": the only hosts Mayfly sends traffic to without allow_hosts.
func IsLoopback(host string) bool { return isLoopback(strings.Trim(host, "[]")) }

// Allows reports whether the plan may send traffic to host: loopback, or
// listed in allow_hosts.
func (p *Plan) Allows(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	if isLoopback(h) {
		return true
	}
	for _, a := range p.AllowHosts {
		if strings.ToLower(a) == h {
			return true
		}
	}
	return false
}
