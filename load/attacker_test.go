package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// run drives scenarios against the handler and returns the totals per
// request name, with the recorder for further questions.
func run(t *testing.T, a *Attacker, scenarios ...Scenario) (map[string]*Metrics, *Recorder) {
	t.Helper()
	rec := NewRecorder(10*time.Millisecond, nil)
	a.Recorder = rec
	if err := a.Run(context.Background(), scenarios...); err != nil {
		t.Fatal(err)
	}
	rec.Flush()
	out := map[string]*Metrics{}
	for _, k := range rec.Keys() {
		out[k.Name] = rec.Totals(k)
	}
	return out, rec
}

func get(url string) IterationFunc {
	return func(ctx context.Context, it *Iteration) {
		it.Do(ctx, &Request{URL: url})
	}
}

func okServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenModelSendsTheWholeSchedule(t *testing.T) {
	srv := okServer(t)
	m, rec := run(t, &Attacker{}, Scenario{
		Name:      "s",
		Executor:  ConstantArrivalRate{Rate: 200, Duration: time.Second},
		Iteration: get(srv.URL),
	})
	if got := m["s"].Requests; got != 200 {
		t.Fatalf("requests = %d, want 200", got)
	}
	if m["s"].Errors != 0 || rec.Dropped("s") != 0 {
		t.Fatalf("errors %d, dropped %d", m["s"].Errors, rec.Dropped("s"))
	}
	if got := rec.Iterations("s"); got != 200 {
		t.Fatalf("iterations = %d", got)
	}
}

// A server that stalls: requests due during the stall are still sent on
// schedule, and their latency (from the schedule) includes the stall. A
// closed-model tool would have sent one request and waited.
func TestOpenModelMeasuresStallsFromTheSchedule(t *testing.T) {
	var stalled atomic.Bool
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stalled.Load() {
			<-release
		}
	}))
	defer srv.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		stalled.Store(true)
		time.Sleep(300 * time.Millisecond)
		stalled.Store(false)
		close(release)
	}()
	m, rec := run(t, &Attacker{}, Scenario{
		Name:      "s",
		Executor:  ConstantArrivalRate{Rate: 200, Duration: time.Second},
		Iteration: get(srv.URL),
	})
	s := m["s"]
	if s.Requests != 200 || rec.Dropped("s") != 0 {
		t.Fatalf("requests %d dropped %d, want 200 and 0", s.Requests, rec.Dropped("s"))
	}
	// Lower bounds only: a loaded machine makes things slower, never faster.
	if max := s.Latency.Max(); max < 250*time.Millisecond {
		t.Errorf("max latency %v, want ≥ 250ms (the stall)", max)
	}
	if p := s.Latency.Quantile(75); p < 10*time.Millisecond {
		// ~30% of requests fall in or queue behind the stall.
		t.Errorf("p75 latency %v: the stall is hidden", p)
	}
}

func TestDroppedWhenMaxVUsBusy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
	}))
	defer srv.Close()
	_, rec := run(t, &Attacker{}, Scenario{
		Name:      "s",
		Executor:  ConstantArrivalRate{Rate: 100, Duration: 500 * time.Millisecond, MaxVUs: 2},
		Iteration: get(srv.URL),
	})
	if rec.Dropped("s") < 20 {
		t.Fatalf("dropped %d, want most of 50 iterations with 2 VUs of 100ms each", rec.Dropped("s"))
	}
}

func TestClosedExecutors(t *testing.T) {
	srv := okServer(t)
	tests := []struct {
		exec Executor
		want int64
	}{
		{PerVUIterations{VUs: 3, Iterations: 5}, 15},
		{SharedIterations{VUs: 4, Iterations: 7}, 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%T", tt.exec), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[uint64]bool{}
			m, _ := run(t, &Attacker{}, Scenario{Name: "s", Executor: tt.exec, Iteration: func(ctx context.Context, it *Iteration) {
				mu.Lock()
				if seen[it.N] {
					t.Errorf("iteration %d ran twice", it.N)
				}
				seen[it.N] = true
				mu.Unlock()
				it.Do(ctx, &Request{URL: srv.URL})
			}})
			if m["s"].Requests != tt.want {
				t.Fatalf("requests = %d, want %d", m["s"].Requests, tt.want)
			}
		})
	}
}

func TestConstantVUsStopsOnTime(t *testing.T) {
	srv := okServer(t)
	start := time.Now()
	m, _ := run(t, &Attacker{}, Scenario{Name: "s", Executor: ConstantVUs{VUs: 2, Duration: 300 * time.Millisecond}, Iteration: func(ctx context.Context, it *Iteration) {
		it.Do(ctx, &Request{URL: srv.URL})
		it.Sleep(ctx, 10*time.Millisecond)
	}})
	if m["s"].Requests < 2 {
		t.Fatalf("requests = %d", m["s"].Requests)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("ran %v for a 300ms scenario", el)
	}
	// Think time is not latency.
	if p := m["s"].Latency.Quantile(50); p >= 10*time.Millisecond {
		t.Errorf("median latency %v includes think time", p)
	}
}

func TestRampingVUsFollowsTarget(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	m, _ := run(t, &Attacker{}, Scenario{Name: "s",
		Executor:  RampingVUs{StartVUs: 1, Stages: []Stage{{300 * time.Millisecond, 3}, {200 * time.Millisecond, 3}, {100 * time.Millisecond, 0}}},
		Iteration: get(srv.URL)})
	if m["s"].Requests == 0 {
		t.Fatal("no requests")
	}
	if p := peak.Load(); p > 3 {
		t.Fatalf("%d requests in flight at once, target peaks at 3", p)
	}
}

func TestSequencePassesValues(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			w.Header().Set("X-Token", "t-42")
			fmt.Fprint(w, `{"token":"t-42"}`)
		case "/me":
			if r.Header.Get("Authorization") != "Bearer t-42" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}
	}))
	defer srv.Close()
	m, _ := run(t, &Attacker{}, Scenario{Name: "s", Executor: SharedIterations{VUs: 2, Iterations: 4}, Iteration: func(ctx context.Context, it *Iteration) {
		r := it.Do(ctx, &Request{Name: "login", Method: "POST", URL: srv.URL + "/login", KeepBody: true})
		it.Vars["token"] = r.Header("X-Token")
		it.Do(ctx, &Request{Name: "me", URL: srv.URL + "/me", Header: []Header{{"Authorization", "Bearer " + it.Vars["token"]}}})
	}})
	if m["login"].Requests != 4 || m["me"].Requests != 4 || m["me"].Errors != 0 {
		t.Fatalf("login %d me %d (errors %d)", m["login"].Requests, m["me"].Requests, m["me"].Errors)
	}
}

func TestFailuresAreMeasurements(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/body":
			fmt.Fprint(w, "hello")
		}
	}))
	defer srv.Close()
	closed := closedPort(t)
	tests := []struct {
		req  Request
		kind ErrorKind
		msg  string
	}{
		{Request{URL: srv.URL + "/500"}, Status, "status 500: boom"},
		{Request{URL: srv.URL + "/body", Expect: []int{201}}, Status, "status 200"},
		{Request{URL: srv.URL + "/slow"}, Timeout, "timeout"},
		{Request{URL: "http://" + closed + "/"}, Refused, "refused"},
		{Request{URL: srv.URL + "/body", Check: func(r *Response) error {
			if !strings.Contains(string(r.Body), "bye") {
				return errors.New("body lacks bye")
			}
			return nil
		}}, Check, "body lacks bye"},
		{Request{URL: "http://192.0.2.1/"}, Other, "host not allowed"},
		{Request{URL: srv.URL + "/body"}, OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+" "+tt.req.URL, func(t *testing.T) {
			var got Response
			var msg string
			rec := NewRecorder(0, func(s *Second) {
				for _, m := range s.Requests {
					if m.Requests != 1 {
						t.Errorf("requests = %d", m.Requests)
					}
				}
			})
			a := &Attacker{Recorder: rec, Timeout: 100 * time.Millisecond}
			err := a.Run(context.Background(), Scenario{Name: "s", Executor: SharedIterations{VUs: 1, Iterations: 1}, Iteration: func(ctx context.Context, it *Iteration) {
				req := tt.req
				got = *it.Do(ctx, &req)
			}})
			if err != nil {
				t.Fatal(err)
			}
			rec.Flush()
			m := rec.Totals(Key{"s", "s"})
			if got.Kind != tt.kind || m.Kind(tt.kind) != 1 {
				t.Fatalf("kind = %v (recorded %v), want %v", got.Kind, m.Kinds, tt.kind)
			}
			_ = msg
		})
	}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestIterationRandIsDeterministic(t *testing.T) {
	srv := okServer(t)
	draws := func() map[uint64]uint64 {
		var mu sync.Mutex
		out := map[uint64]uint64{}
		run(t, &Attacker{Seed: 7}, Scenario{Name: "s", Executor: SharedIterations{VUs: 3, Iterations: 30}, Iteration: func(ctx context.Context, it *Iteration) {
			mu.Lock()
			out[it.N] = it.Rand.Uint64()
			mu.Unlock()
			it.Do(ctx, &Request{URL: srv.URL})
		}})
		return out
	}
	a, b := draws(), draws()
	if len(a) != 30 {
		t.Fatalf("%d iterations", len(a))
	}
	for n, v := range a {
		if b[n] != v {
			t.Fatalf("iteration %d drew %d then %d", n, v, b[n])
		}
	}
	if a[0] == a[1] {
		t.Fatal("iterations draw the same numbers")
	}
}

func TestAbortStopsPromptly(t *testing.T) {
	srv := okServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	rec := NewRecorder(0, nil)
	start := time.Now()
	(&Attacker{Recorder: rec}).Run(ctx,
		Scenario{Name: "open", Executor: ConstantArrivalRate{Rate: 100, Duration: time.Hour}, Iteration: get(srv.URL)},
		Scenario{Name: "closed", Executor: ConstantVUs{VUs: 5, Duration: time.Hour}, Iteration: get(srv.URL)})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("abort took %v", el)
	}
}

// Think time does not hold a run past its schedule.
func TestThinkTimeEndsWithTheSchedule(t *testing.T) {
	srv := okServer(t)
	start := time.Now()
	run(t, &Attacker{}, Scenario{Name: "s", Executor: ConstantVUs{VUs: 3, Duration: 200 * time.Millisecond}, Iteration: func(ctx context.Context, it *Iteration) {
		it.Do(ctx, &Request{URL: srv.URL})
		it.Sleep(ctx, time.Minute)
	}})
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("a 200ms scenario with 1m think time ran %v", el)
	}
}
