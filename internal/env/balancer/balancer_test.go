package balancer

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
)

// counted is an httptest backend that counts the requests it served.
type counted struct {
	srv *httptest.Server
	n   atomic.Int64
}

func newCounted(t *testing.T, h http.HandlerFunc) *counted {
	t.Helper()
	c := &counted{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "hello from a backend") // 20 bytes
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counted) addr() string { return c.srv.Listener.Addr().String() }

// start builds and starts a balancer, closed at cleanup.
func start(t *testing.T, s Strategy, addrs ...string) *Balancer {
	t.Helper()
	b, err := New(addrs, s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := b.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// noKeepAlive is a client that opens a new connection per request, so
// every request is a balancing decision.
func noKeepAlive() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return string(body)
}

// waitFor polls cond for up to 5 s; loopback connection teardown is
// asynchronous, so counters settle a moment after the client returns.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	bs := []*counted{newCounted(t, nil), newCounted(t, nil), newCounted(t, nil)}
	b := start(t, RoundRobin, bs[0].addr(), bs[1].addr(), bs[2].addr())
	c := noKeepAlive()
	for range 30 {
		if got := get(t, c, "http://"+b.Addr()+"/"); got != "hello from a backend" {
			t.Fatalf("body = %q", got)
		}
	}
	for i, be := range bs {
		if n := be.n.Load(); n != 10 {
			t.Errorf("backend %d served %d requests, want 10", i, n)
		}
	}
	waitFor(t, "all proxied connections to end", func() bool {
		for _, s := range b.Stats().Backends {
			if s.Open != 0 {
				return false
			}
		}
		return true
	})
	st := b.Stats()
	if st.Accepted != 30 || st.Dropped != 0 {
		t.Errorf("accepted %d dropped %d, want 30 and 0", st.Accepted, st.Dropped)
	}
	for i, s := range st.Backends {
		if s.Total != 10 || s.BytesIn == 0 || s.BytesOut == 0 {
			t.Errorf("backend %d stats %+v: want Total 10 and bytes both ways", i, s)
		}
	}
	if st.Connect.Count() != 30 || st.ConnectP50 <= 0 || st.ConnectP99 < st.ConnectP50 {
		t.Errorf("connect overhead: count %d p50 %v p99 %v", st.Connect.Count(), st.ConnectP50, st.ConnectP99)
	}
}

func TestLeastConnectionsAvoidsBusyBackend(t *testing.T) {
	release := make(chan struct{})
	slow := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "slow")
	})
	fast := newCounted(t, nil)
	b := start(t, LeastConnections, slow.addr(), fast.addr())
	defer close(release) // before the servers' Close, which waits for handlers

	// Park a request on the slow backend. Requests that land on the fast
	// one return at once; keep sending until one is held.
	c := noKeepAlive()
	url := "http://" + b.Addr() + "/"
	slowOpen := func() int64 { return b.Stats().Backends[0].Open }
	for slowOpen() < 1 {
		before := slowOpen()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := c.Get(url); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		waitFor(t, "request to land", func() bool {
			select {
			case <-done:
				return true
			default:
				return slowOpen() > before
			}
		})
	}

	fastBefore, slowBefore := fast.n.Load(), slow.n.Load()
	for range 20 {
		// The previous connection's teardown is asynchronous; wait for it
		// so the choice is 0 open vs 1 open, not a tie.
		waitFor(t, "idle backend to drain", func() bool { return b.Stats().Backends[1].Open == 0 })
		if got := get(t, c, url); got != "hello from a backend" {
			t.Fatalf("request went to the busy backend: body %q", got)
		}
	}
	if d := fast.n.Load() - fastBefore; d != 20 {
		t.Errorf("idle backend got %d of 20 requests", d)
	}
	if d := slow.n.Load() - slowBefore; d != 0 {
		t.Errorf("busy backend got %d new requests, want 0", d)
	}
}

func TestDeadBackendSkippedAndCounted(t *testing.T) {
	// A port that refuses: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	live1, live2 := newCounted(t, nil), newCounted(t, nil)
	b := start(t, RoundRobin, live1.addr(), dead, live2.addr())
	c := noKeepAlive()
	for range 20 {
		get(t, c, "http://"+b.Addr()+"/")
	}
	if n := live1.n.Load() + live2.n.Load(); n != 20 {
		t.Errorf("live backends served %d, want 20", n)
	}
	st := b.Stats()
	if s := st.Backends[1]; s.DialErrors < 1 || s.Total != 0 || !s.Down {
		t.Errorf("dead backend stats %+v: want ≥1 dial error, 0 total, down", s)
	}
	if st.Dropped != 0 {
		t.Errorf("dropped %d, want 0 while live backends exist", st.Dropped)
	}
}

func TestAllBackendsDownDropsClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	b := start(t, LeastConnections, dead)
	for i := range 3 {
		conn, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := conn.Read(make([]byte, 1)); err == nil || n != 0 {
			t.Errorf("conn %d: read %d, %v; want closed", i, n, err)
		}
		conn.Close()
	}
	waitFor(t, "drops to be counted", func() bool { return b.Stats().Dropped == 3 })
	if s := b.Stats().Backends[0]; s.DialErrors != 1 {
		// The first dial fails; the next two find the backend marked down
		// and are dropped without dialling.
		t.Errorf("dial errors %d, want 1 (then skipped while down)", s.DialErrors)
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	release := make(chan struct{})
	be := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done(): // the balancer closed the conn
		}
	})
	defer close(release)

	base := runtime.NumGoroutine()
	b, err := New([]string{be.addr()}, LeastConnections)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := b.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Some open proxied connections, one of them mid-request.
	var raw []net.Conn
	for range 3 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, conn)
	}
	fmt.Fprintf(raw[0], "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "backend to see the request", func() bool { return be.n.Load() == 1 })

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for i, conn := range raw {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("client conn %d still open after Close", i)
		}
		conn.Close()
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("listener %s still accepts after Close", addr)
	}
	// Client-side and server-side goroutines of the test itself wind down
	// asynchronously; the balancer's own are gone when Close returns.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d after Close, %d before\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestContextCancelCloses(t *testing.T) {
	be := newCounted(t, nil)
	b, err := New([]string{be.addr()}, RoundRobin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := b.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	waitFor(t, "listener to close", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	if err := b.Close(); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		backends []string
		s        Strategy
	}{
		{nil, RoundRobin},
		{[]string{"10.0.0.1:80"}, RoundRobin},
		{[]string{"127.0.0.1:80", "example.com:80"}, RoundRobin},
		{[]string{"192.168.1.2:8080"}, LeastConnections},
		{[]string{"127.0.0.1"}, RoundRobin},
		{[]string{"127.0.0.1:0"}, RoundRobin},
		{[]string{"127.0.0.1:80"}, "random"},
	} {
		if _, err := New(tc.backends, tc.s); err == nil {
			t.Errorf("New(%q, %q) = nil error", tc.backends, tc.s)
		}
	}
	for _, ok := range []string{"127.0.0.1:80", "127.1.2.3:80", "[::1]:80", "localhost:8080"} {
		if _, err := New([]string{ok}, ""); err != nil {
			t.Errorf("New(%q): %v", ok, err)
		}
	}
}

// BenchmarkProxyRequest measures the latency the balancer adds to a
// keep-alive HTTP GET of a 20-byte body, sequential: run both
// sub-benchmarks and subtract. p50-µs is read from a Mayfly histogram.
func BenchmarkProxyRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from a backend")
	}))
	defer srv.Close()
	lb, err := New([]string{srv.Listener.Addr().String()}, RoundRobin)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lb.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer lb.Close()
	lb7, err := NewHTTP([]string{srv.Listener.Addr().String()}, RoundRobin)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lb7.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer lb7.Close()

	for _, tc := range []struct{ name, addr string }{
		{"direct", srv.Listener.Addr().String()},
		{"balancer", lb.Addr()},
		{"balancer-http", lb7.Addr()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			url := "http://" + tc.addr + "/"
			h := hist.New()
			for b.Loop() {
				t0 := time.Now()
				resp, err := c.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				h.Record(time.Since(t0))
			}
			b.ReportMetric(float64(h.Quantile(50).Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(h.Quantile(99).Nanoseconds())/1e3, "p99-µs")
		})
	}
}
