package balancer

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestHTTPBalancesRequestsOnKeepAlive(t *testing.T) {
	bs := []*counted{newCounted(t, nil), newCounted(t, nil), newCounted(t, nil)}
	b, err := NewHTTP([]string{bs[0].addr(), bs[1].addr(), bs[2].addr()}, RoundRobin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })

	c := &http.Client{Timeout: 5 * time.Second} // keep-alive: one client conn
	defer c.CloseIdleConnections()
	for range 30 {
		resp, err := c.Get("http://" + b.Addr() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello from a backend" {
			t.Fatalf("body %q", body)
		}
		if st := resp.Header.Get("Server-Timing"); !strings.HasPrefix(st, "lb;dur=") {
			t.Fatalf("Server-Timing = %q, want lb;dur=…", st)
		}
	}
	for i, be := range bs {
		if n := be.n.Load(); n != 10 {
			t.Errorf("backend %d served %d requests, want 10 (per-request balancing)", i, n)
		}
	}
	if st := b.Stats(); st.Accepted != 30 || st.Connect.Count() != 30 {
		t.Errorf("stats: accepted %d connect samples %d, want 30", st.Accepted, st.Connect.Count())
	}
}

func TestHTTPDeadBackend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	live := newCounted(t, nil)
	b, err := NewHTTP([]string{dead, live.addr()}, RoundRobin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	c := noKeepAlive()
	codes := map[int]int{}
	for range 10 {
		resp, err := c.Get("http://" + b.Addr() + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	// The first request to the dead one fails (no retry in L7); after
	// that it is down and skipped.
	if codes[http.StatusBadGateway] != 1 || codes[http.StatusOK] != 9 {
		t.Errorf("status codes %v, want one 502 then 200s", codes)
	}
	if s := b.Stats().Backends[0]; s.DialErrors != 1 || !s.Down {
		t.Errorf("dead backend %+v", s)
	}
}

func TestHTTPCloseLeavesNothing(t *testing.T) {
	be := newCounted(t, nil)
	base := runtime.NumGoroutine()
	b, err := NewHTTP([]string{be.addr()}, LeastConnections)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := b.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for range 5 {
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("listener still accepts after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d after Close, %d before\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
