package load

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRecord is the cost of recording one hit: it is paid on every
// request, under a lock shared by all VUs.
func BenchmarkRecord(b *testing.B) {
	rec := NewRecorder(10*time.Millisecond, nil)
	now := time.Now()
	h := Hit{Scenario: "s", Name: "GET /", Intended: now, Sent: now.Add(50 * time.Microsecond), Done: now.Add(900 * time.Microsecond), Status: 200}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec.Record(&h)
		}
	})
}

// BenchmarkFlush is the once-a-second cost per request name.
func BenchmarkFlush(b *testing.B) {
	rec := NewRecorder(0, nil)
	now := time.Now()
	for b.Loop() {
		for i := range 100 {
			rec.Record(&Hit{Scenario: "s", Name: "GET /", Intended: now, Sent: now, Done: now.Add(time.Duration(i) * time.Millisecond)})
		}
		rec.Flush()
	}
}

// BenchmarkRequest is the generator's whole cost per request (plus a
// minimal server's) in a closed loop over keep-alive connections. Compare
// ns/op with the CPU per request of other tools in bench/capacity.sh.
func BenchmarkRequest(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok: mayfly bench...."))
	})}
	go srv.Serve(l)
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/"
	rec := NewRecorder(0, nil)
	a := &Attacker{Recorder: rec}
	b.ReportAllocs()
	b.ResetTimer()
	a.Run(context.Background(), Scenario{Name: "s", Executor: SharedIterations{VUs: 8, Iterations: b.N}, Iteration: func(ctx context.Context, it *Iteration) {
		it.Do(ctx, &Request{URL: url})
	}})
}
