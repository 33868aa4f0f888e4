package balancer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// NewHTTP returns a Balancer in HTTP (L7) mode: it balances per REQUEST,
// so keep-alive clients are spread too, at the price of parsing HTTP.
// Each response gets a "Server-Timing: lb;dur=<ms>" entry: the time from
// the request reaching the balancer to holding a backend connection (pick
// plus idle-conn reuse or dial), the same quantity Stats.Connect records.
//
// Differences from L4 mode: a request whose backend refuses gets 502 (the
// backend is marked down for the next requests, but the request is not
// retried, since its body may be consumed); BytesIn/BytesOut stay 0;
// Total and Open count requests, not connections.
func NewHTTP(backends []string, s Strategy) (*Balancer, error) {
	b, err := New(backends, s)
	if err != nil {
		return nil, err
	}
	b.l7 = newL7(b)
	return b, nil
}

type l7 struct {
	b     *Balancer
	srv   *http.Server
	tr    *http.Transport
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup // in-flight ServeHTTP calls; Add only under mu while !closed
}

type targetKey struct{}

// target travels in the request context from ServeHTTP to Rewrite and
// the trace hook.
type target struct {
	be      *backend
	url     *url.URL
	start   time.Time
	gotConn time.Duration
}

func newL7(b *Balancer) *l7 {
	l := &l7{b: b}
	// Many idle conns per backend: a load test has as many concurrent
	// requests as it has VUs, and every new backend conn is a dial on the
	// hot path.
	l.tr = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: dialTimeout}).DialContext,
		MaxIdleConns:        0, // no overall limit
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	l.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			t := pr.In.Context().Value(targetKey{}).(*target)
			pr.SetURL(t.url)
			pr.Out.Host = pr.In.Host // the service sees what the client asked for
			pr.SetXForwarded()
		},
		Transport: l.tr,
		ModifyResponse: func(resp *http.Response) error {
			t := resp.Request.Context().Value(targetKey{}).(*target)
			resp.Header.Add("Server-Timing", fmt.Sprintf("lb;dur=%.3f", float64(t.gotConn)/float64(time.Millisecond)))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t := r.Context().Value(targetKey{}).(*target)
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				t.be.dialErrors.Add(1)
				t.be.downUntil.Store(time.Now().Add(b.downFor).UnixNano())
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	return l
}

func (l *l7) serve(ln net.Listener) {
	_ = l.srv.Serve(ln) // returns ErrServerClosed after close
}

// close stops the server and waits for in-flight handlers: http.Server's
// Close does not wait for them, and they use the Transport.
func (l *l7) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	_ = l.srv.Close() // closes the listener and client conns; handlers' contexts end
	l.handlers.Wait()
	l.tr.CloseIdleConnections()
}

func (l *l7) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		http.Error(w, "balancer closing", http.StatusServiceUnavailable)
		return
	}
	l.handlers.Add(1)
	l.mu.Unlock()
	defer l.handlers.Done()

	b := l.b
	b.accepted.Add(1)
	t := &target{start: time.Now()}
	be, _ := b.pick(make([]bool, len(b.backends)))
	if be == nil {
		b.dropped.Add(1)
		http.Error(w, "no backend up", http.StatusBadGateway)
		return
	}
	defer be.open.Add(-1)
	be.total.Add(1)
	t.be = be
	t.url = &url.URL{Scheme: "http", Host: be.addr}
	ctx := context.WithValue(r.Context(), targetKey{}, t)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			t.gotConn = time.Since(t.start)
			b.histMu.Lock()
			b.connect.Record(t.gotConn)
			b.histMu.Unlock()
		},
	})
	l.proxy.ServeHTTP(w, r.WithContext(ctx))
}
