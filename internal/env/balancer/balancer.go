// Package balancer puts one loopback address in front of N replicas of the
// service under test.
//
// It is a TCP (L4) proxy: it accepts on 127.0.0.1:0, picks a backend per
// client CONNECTION (round-robin, or least-connections = fewest open
// proxied connections), dials it and copies bytes both ways. On Linux the
// copies are splice(2) from socket to socket (net.TCPConn.ReadFrom), so a
// request costs the balancer no user-space copy; what it adds is one extra
// loopback hop and, once per connection, the dial to the backend.
//
// Because balancing is per connection, keep-alive clients balance
// connections, not requests: a load generator with 10 keep-alive
// connections and 3 replicas puts 4/3/3 connections on them however many
// requests it sends. Use enough connections (or no keep-alive) when request
// spread matters, or NewHTTP: the same balancer in HTTP (L7) mode, which
// balances per request through httputil.ReverseProxy and adds a
// "Server-Timing: lb;dur=…" entry, at roughly twice the L4 cost.
//
// Measured on a 2-core VM (BenchmarkProxyRequest, keep-alive GET of 20
// bytes, sequential): p50 direct ≈ 35 µs, via L4 ≈ 80 µs, via L7 ≈ 130 µs.
// Plain user-space copies measured the same as splice for such small
// bodies; splice stays for large ones.
//
// Passive health: a backend that refuses a dial is marked down for one
// second and the next one is tried; when none can be reached the client
// connection is closed and counted in Stats.Dropped.
//
// Stats reports per-backend counters and the balancer's own overhead (the
// time from accepting a client connection to holding a connected backend
// socket), so a run can split "network + balancer" from service time.
package balancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mayfly-perf/mayfly/hist"
)

// Strategy chooses the backend for a new client connection.
type Strategy string

// The strategies. The empty Strategy means RoundRobin.
const (
	RoundRobin       Strategy = "round-robin"
	LeastConnections Strategy = "least-connections"
)

// Defaults; fields of Balancer so tests can shorten them.
const (
	downFor     = time.Second     // how long a refusing backend is skipped
	dialTimeout = 2 * time.Second // loopback dials either succeed at once or not at all
)

// backend is one replica and its counters. Counters are atomics so Stats
// never blocks the data path.
type backend struct {
	addr       string
	open       atomic.Int64 // connections picked and not yet finished (includes an in-flight dial)
	total      atomic.Int64 // connections successfully proxied
	bytesIn    atomic.Int64 // client → backend
	bytesOut   atomic.Int64 // backend → client
	dialErrors atomic.Int64
	downUntil  atomic.Int64 // unix nanoseconds; 0 = up
}

// Balancer is an L4 proxy over a fixed set of loopback backends. Create it
// with New, then Start; Close releases everything it holds.
type Balancer struct {
	strategy Strategy
	backends []*backend
	downFor  time.Duration
	l7       *l7 // nil: L4 mode

	pickMu sync.Mutex // serialises pick so least-connections sees its own reservations
	next   int        // round-robin cursor, under pickMu

	accepted atomic.Int64
	dropped  atomic.Int64

	histMu  sync.Mutex
	connect *hist.Histogram // accept → backend connected, under histMu

	mu      sync.Mutex
	ln      net.Listener
	addr    string
	conns   map[net.Conn]struct{} // every open client and backend conn, for Close
	started bool
	closed  bool

	ctx       context.Context // cancelled by Close: aborts dials and accept back-off
	cancel    context.CancelFunc
	stopWatch func() bool // unregisters the Start context watcher
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New returns a Balancer for backends (host:port, each on loopback:
// 127.0.0.0/8, ::1 or localhost). It does not listen until Start.
func New(backends []string, s Strategy) (*Balancer, error) {
	if len(backends) == 0 {
		return nil, errors.New("balancer: no backends")
	}
	switch s {
	case "":
		s = RoundRobin
	case RoundRobin, LeastConnections:
	default:
		return nil, fmt.Errorf("balancer: unknown strategy %q (want %q or %q)", s, RoundRobin, LeastConnections)
	}
	b := &Balancer{
		strategy: s,
		downFor:  downFor,
		connect:  hist.New(),
		conns:    make(map[net.Conn]struct{}),
	}
	for _, a := range backends {
		if err := checkLoopback(a); err != nil {
			return nil, fmt.Errorf("balancer: backend %q: %w", a, err)
		}
		b.backends = append(b.backends, &backend{addr: a})
	}
	return b, nil
}

// checkLoopback refuses anything that is not host:port on loopback: the
// balancer exists for ephemeral local environments, and proxying a load
// test to a remote host by a typo would be a (small) attack tool.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not host:port: %w", err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address", host)
	}
	return nil
}

// Start listens on 127.0.0.1:0 and serves until Close or until ctx is
// done (which closes the balancer too). It returns the address to give
// clients.
func (b *Balancer) Start(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return "", errors.New("balancer: start after close")
	}
	if b.started {
		return "", errors.New("balancer: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("balancer: listen: %w", err)
	}
	b.started = true
	b.ln = ln
	b.addr = ln.Addr().String()
	// Not derived from ctx: Close must be the one place that ends the
	// balancer, so that it can wait for everything; ctx reaches it through
	// the AfterFunc below. AfterFunc starts no goroutine until ctx is done.
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.stopWatch = context.AfterFunc(ctx, func() { _ = b.Close() })
	if b.l7 != nil {
		b.wg.Go(func() { b.l7.serve(ln) })
	} else {
		b.wg.Go(b.acceptLoop)
	}
	return b.addr, nil
}

// Addr is the listening address ("" before Start).
func (b *Balancer) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// Close stops accepting, closes every proxied connection and waits for all
// of the balancer's goroutines to exit. It is safe to call more than once
// and concurrently; every call returns after the shutdown is complete.
func (b *Balancer) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		ln := b.ln
		for c := range b.conns {
			_ = c.Close() // unblocks both copy directions
		}
		b.mu.Unlock()
		if b.stopWatch != nil {
			b.stopWatch()
		}
		if b.cancel != nil {
			b.cancel()
		}
		if b.l7 != nil {
			b.l7.close() // closes ln too
		} else if ln != nil {
			if err := ln.Close(); err != nil {
				b.closeErr = fmt.Errorf("balancer: close listener: %w", err)
			}
		}
		b.wg.Wait()
	})
	return b.closeErr
}

func (b *Balancer) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// track registers c so Close can reach it; it reports false (and closes c)
// when the balancer is already closing, so no conn outlives Close.
func (b *Balancer) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		_ = c.Close()
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

func (b *Balancer) untrack(c net.Conn) {
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
	_ = c.Close()
}

func (b *Balancer) acceptLoop() {
	var backoff time.Duration
	for {
		c, err := b.ln.Accept()
		if err != nil {
			if b.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off as net/http
			// does rather than spin, and keep serving once it passes.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-b.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		accepted := time.Now()
		b.accepted.Add(1)
		if !b.track(c) {
			return
		}
		b.wg.Go(func() { b.serve(c, accepted) })
	}
}

// serve proxies one client connection to one backend.
func (b *Balancer) serve(client net.Conn, accepted time.Time) {
	defer b.untrack(client)
	be, server := b.dialBackend()
	if server == nil {
		b.dropped.Add(1)
		return
	}
	defer be.open.Add(-1)
	elapsed := time.Since(accepted)
	b.histMu.Lock()
	b.connect.Record(elapsed)
	b.histMu.Unlock()
	if !b.track(server) {
		return
	}
	defer b.untrack(server)
	be.total.Add(1)

	// One direction in a new goroutine, the other in this one. Each
	// direction half-closes its destination when its source says EOF, so
	// HTTP/1.0-style "close after request" clients still get their answer;
	// on an error both sockets are closed so the other direction ends too.
	b.wg.Go(func() {
		n, err := io.Copy(server, client)
		be.bytesIn.Add(n)
		finish(server, client, err)
	})
	n, err := io.Copy(client, server)
	be.bytesOut.Add(n)
	finish(client, server, err)
	// The deferred untracks close both sockets, which ends the other
	// direction if it is still running; Close waits for it via wg.
}

// finish ends one copy direction: a clean EOF half-closes dst (keeps the
// other direction alive), an error tears both down.
func finish(dst, src net.Conn, err error) {
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			if cw.CloseWrite() == nil {
				return
			}
		}
	}
	_ = dst.Close()
	_ = src.Close()
}

// dialBackend picks backends until one accepts a connection. It returns
// the backend (with its open count already raised) and the conn, or a nil
// conn when every backend is down or refused.
func (b *Balancer) dialBackend() (*backend, net.Conn) {
	d := net.Dialer{Timeout: dialTimeout}
	tried := make([]bool, len(b.backends))
	for range b.backends {
		be, i := b.pick(tried)
		if be == nil {
			return nil, nil
		}
		tried[i] = true
		c, err := d.DialContext(b.ctx, "tcp", be.addr)
		if err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				// Small requests are the common case; Nagle would add up
				// to 40 ms of delayed-ACK interplay per hop.
				_ = tc.SetNoDelay(true)
			}
			return be, c
		}
		be.open.Add(-1)
		if b.ctx.Err() != nil {
			return nil, nil // closing, not the backend's fault
		}
		be.dialErrors.Add(1)
		be.downUntil.Store(time.Now().Add(b.downFor).UnixNano())
	}
	return nil, nil
}

// pick chooses an up backend not yet tried and reserves a connection on it
// (open+1) under pickMu, so concurrent least-connections picks see each
// other. Ties go to the backend after the previous pick, so idle backends
// share new connections evenly.
func (b *Balancer) pick(tried []bool) (*backend, int) {
	now := time.Now().UnixNano()
	b.pickMu.Lock()
	defer b.pickMu.Unlock()
	n := len(b.backends)
	best := -1
	var bestOpen int64
	for k := range n {
		i := (b.next + k) % n
		be := b.backends[i]
		if tried[i] || be.downUntil.Load() > now {
			continue
		}
		if b.strategy == RoundRobin {
			best = i
			break
		}
		if o := be.open.Load(); best < 0 || o < bestOpen {
			best, bestOpen = i, o
		}
	}
	if best < 0 {
		return nil, -1
	}
	b.next = (best + 1) % n
	be := b.backends[best]
	be.open.Add(1)
	return be, best
}

// BackendStats are one backend's counters.
type BackendStats struct {
	Addr       string
	Total      int64 // connections proxied to it
	Open       int64 // connections open now
	BytesIn    int64 // client → backend, counted when a direction ends
	BytesOut   int64 // backend → client, counted when a direction ends
	DialErrors int64 // refused or timed-out dials
	Down       bool  // skipped now after a failed dial
}

// Stats is a snapshot of the balancer's counters.
type Stats struct {
	Strategy Strategy
	Accepted int64 // client connections accepted
	Dropped  int64 // client connections closed because no backend could be reached
	Backends []BackendStats
	// Connect is the balancer's own overhead per connection: accept to a
	// connected backend socket (pick + dial, retries included). A copy:
	// merge it, read quantiles from it.
	Connect    *hist.Histogram
	ConnectP50 time.Duration
	ConnectP99 time.Duration
}

// Stats returns a snapshot. It is safe to call at any time, also
// concurrently with traffic and after Close.
func (b *Balancer) Stats() Stats {
	now := time.Now().UnixNano()
	s := Stats{
		Strategy: b.strategy,
		Accepted: b.accepted.Load(),
		Dropped:  b.dropped.Load(),
	}
	for _, be := range b.backends {
		s.Backends = append(s.Backends, BackendStats{
			Addr:       be.addr,
			Total:      be.total.Load(),
			Open:       be.open.Load(),
			BytesIn:    be.bytesIn.Load(),
			BytesOut:   be.bytesOut.Load(),
			DialErrors: be.dialErrors.Load(),
			Down:       be.downUntil.Load() > now,
		})
	}
	b.histMu.Lock()
	s.Connect = b.connect.Clone()
	b.histMu.Unlock()
	s.ConnectP50 = s.Connect.Quantile(50)
	s.ConnectP99 = s.Connect.Quantile(99)
	return s
}
