package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the service under test: with MAYFLY_TEST_SERVICE=1
// the test binary is a tiny HTTP server on $ADDR whose behaviour is chosen
// by MAYFLY_TEST_MODE.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("MAYFLY_TEST_SERVICE") == "1":
		os.Exit(testService())
	case os.Getenv("MAYFLY_TEST_PARENT") == "1":
		os.Exit(testParent())
	}
	os.Exit(m.Run())
}

func testService() int {
	mode := os.Getenv("MAYFLY_TEST_MODE")
	fmt.Println("test service starting, mode", mode)
	fmt.Fprintln(os.Stderr, "a line on stderr")
	var grandchild *exec.Cmd
	switch mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "fatal: boom at start")
		return 3
	case "slow":
		time.Sleep(300 * time.Millisecond)
	case "hang":
		fmt.Println("never listening")
		select {}
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "child":
		grandchild = exec.Command("sleep", "60")
		if err := grandchild.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "start grandchild:", err)
			return 1
		}
	}
	l, err := net.Listen("tcp", os.Getenv("ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err) // "address already in use" triggers a retry
		return 1
	}
	fmt.Println("listening on", l.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/vars", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "replica=%s seed=%s db=%s port=%s", os.Getenv("REPLICA"), os.Getenv("SEED"), os.Getenv("DATABASE_URL"), os.Getenv("PORT"))
	})
	mux.HandleFunc("/grandchild", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, grandchild.Process.Pid)
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("exiting on request")
		os.Exit(5)
	})
	http.Serve(l, mux)
	return 0
}

// testParent plays a Mayfly that starts a service and is then SIGKILLed:
// it prints the replica's pid and waits.
func testParent() int {
	exe, _ := os.Executable()
	s := Spec{
		Name:    "orphan",
		Command: []string{exe},
		Env:     map[string]string{"MAYFLY_TEST_SERVICE": "1", "MAYFLY_TEST_PARENT": ""},
		Ready:   Ready{HTTP: "/healthz", Timeout: 10 * time.Second},
	}
	g, err := Start(context.Background(), s, Vars{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(g.PIDs()[0])
	select {}
}

// spec is a Spec running this test binary as the service in mode.
func spec(t *testing.T, mode string, replicas int) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Name:     "api",
		Command:  []string{exe},
		Replicas: replicas,
		Env: map[string]string{
			"MAYFLY_TEST_SERVICE": "1",
			"MAYFLY_TEST_MODE":    mode,
			"REPLICA":             "{{.Replica}}",
			"SEED":                "{{.Seed}}",
			"DATABASE_URL":        "{{.Postgres.URL}}",
		},
		Ready:  Ready{HTTP: "GET /healthz", Timeout: 10 * time.Second},
		Grace:  2 * time.Second,
		LogDir: t.TempDir(),
	}
}

// assertGone fails unless every process group in pgids is empty. Zombies
// of orphaned grandchildren still count until init reaps them, so it polls.
func assertGone(t *testing.T, pgids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pg := range pgids {
		for syscall.Kill(-pg, 0) != syscall.ESRCH {
			if time.Now().After(deadline) {
				t.Errorf("process group %d still has processes", pg)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReplicasReadyOnDistinctPorts(t *testing.T) {
	s := spec(t, "", 3)
	var base Vars
	base.Seed = 42
	base.Postgres.URL = "postgres://x@127.0.0.1:5/db"
	g, err := Start(context.Background(), s, base)
	if err != nil {
		t.Fatal(err)
	}
	pgids := g.PIDs()
	defer assertGone(t, pgids)
	addrs := g.Addrs()
	if len(addrs) != 3 || len(pgids) != 3 {
		t.Fatalf("addrs %v pids %v", addrs, pgids)
	}
	seen := map[string]bool{}
	for i, a := range addrs {
		if !strings.HasPrefix(a, "127.0.0.1:") || seen[a] {
			t.Errorf("addr %q: want distinct loopback addresses, got %v", a, addrs)
		}
		seen[a] = true
		_, port, _ := net.SplitHostPort(a)
		want := fmt.Sprintf("replica=%d seed=42 db=postgres://x@127.0.0.1:5/db port=%s", i, port)
		if got := get(t, "http://"+a+"/vars"); got != want {
			t.Errorf("replica %d: /vars = %q, want %q", i, got, want)
		}
	}
	if err := g.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := g.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, ok := <-g.Exited(); ok {
		t.Error("Exited reported an exit for a clean stop")
	}
	for i := range 3 {
		b, err := os.ReadFile(filepath.Join(s.LogDir, fmt.Sprintf("api-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"listening on", "a line on stderr"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("log of replica %d lacks %q:\n%s", i, want, b)
			}
		}
	}
}

// children lists the pids whose parent is this test process: what a failed
// Start may have left behind.
func children(t *testing.T) []int {
	t.Helper()
	me := strconv.Itoa(os.Getpid())
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so cut at ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == me {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

func TestStartFailures(t *testing.T) {
	for _, tc := range []struct {
		name, mode string
		timeout    time.Duration
		want       []string
	}{
		{"crash", "crash", 10 * time.Second, []string{
			`service "api" replica `, "exited before ready (exit status 3)", "last log lines:", "fatal: boom at start"}},
		{"timeout", "hang", 300 * time.Millisecond, []string{
			`service "api" replica `, "not ready after 300ms (GET /healthz: connection refused)", "last log lines:", "never listening"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(t, tc.mode, 2)
			s.Ready.Timeout = tc.timeout
			before := children(t)
			t0 := time.Now()
			g, err := Start(context.Background(), s, Vars{})
			if err == nil {
				g.Stop(context.Background())
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if el := time.Since(t0); el > tc.timeout+3*time.Second {
				t.Errorf("Start took %v to fail", el)
			}
			if left := children(t); !slices.Equal(left, before) {
				t.Errorf("children left running: %v (before %v)", left, before)
			}
		})
	}
}

func TestStartErrorsBeforeSpawning(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no command", func(s *Spec) { s.Command = nil }, "empty command"},
		{"bad template", func(s *Spec) { s.Env["X"] = "{{.Nope}}" }, "can't evaluate field Nope"},
		{"bad template syntax", func(s *Spec) { s.Env["X"] = "{{" }, `env X: template`},
		{"bad ready", func(s *Spec) { s.Ready.HTTP = "GET healthz" }, "path must start with /"},
		{"not in PATH", func(s *Spec) { s.Command = []string{"mayfly-no-such-binary"} }, `replica 0: start mayfly-no-such-binary: exec: "mayfly-no-such-binary": executable file not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(t, "", 1)
			tc.edit(&s)
			g, err := Start(context.Background(), s, Vars{})
			if err == nil {
				g.Stop(context.Background())
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestSlowBecomesReady(t *testing.T) {
	s := spec(t, "slow", 1)
	s.Ready = Ready{Timeout: 5 * time.Second} // TCP readiness
	t0 := time.Now()
	g, err := Start(context.Background(), s, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	defer assertGone(t, g.PIDs())
	if el := time.Since(t0); el < 300*time.Millisecond {
		t.Errorf("ready after %v, before the service listens", el)
	}
	if err := g.Stop(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestIgnoreTermIsKilledAfterGrace(t *testing.T) {
	s := spec(t, "ignore-term", 1)
	s.Grace = 300 * time.Millisecond
	g, err := Start(context.Background(), s, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	defer assertGone(t, g.PIDs())
	t0 := time.Now()
	err = g.Stop(context.Background())
	el := time.Since(t0)
	if err == nil || !strings.Contains(err.Error(), `service "api" replica 0: still running 300ms after SIGTERM, killed`) {
		t.Errorf("Stop error = %v", err)
	}
	if el < 300*time.Millisecond || el > 2*time.Second {
		t.Errorf("Stop took %v, want just over the 300ms grace", el)
	}
	if err2 := g.Stop(context.Background()); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Stop = %v, want the first's %v", err2, err)
	}
}

func TestGrandchildDiesWithGroup(t *testing.T) {
	g, err := Start(context.Background(), spec(t, "child", 1), Vars{})
	if err != nil {
		t.Fatal(err)
	}
	pgids := g.PIDs()
	gc, err := strconv.Atoi(get(t, "http://"+g.Addrs()[0]+"/grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	if pg, _ := syscall.Getpgid(gc); pg != pgids[0] {
		t.Fatalf("grandchild %d in group %d, want %d", gc, pg, pgids[0])
	}
	t0 := time.Now()
	if err := g.Stop(context.Background()); err != nil {
		t.Error(err)
	}
	if el := time.Since(t0); el > time.Second {
		t.Errorf("Stop took %v", el)
	}
	// Dead at once (a zombie until init reaps it, or gone)...
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", gc)); err == nil {
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); f[0] != "Z" {
			t.Errorf("grandchild %d in state %s after Stop", gc, f[0])
		}
	}
	// ...and the group empty once reaped.
	assertGone(t, pgids)
}

func TestCrashWhileRunningIsReported(t *testing.T) {
	g, err := Start(context.Background(), spec(t, "", 2), Vars{})
	if err != nil {
		t.Fatal(err)
	}
	defer assertGone(t, g.PIDs())
	http.Get("http://" + g.Addrs()[1] + "/exit") // the connection dies with the process
	select {
	case ex := <-g.Exited():
		if ex.Replica != 1 || ex.Err == nil || !strings.Contains(ex.Err.Error(), `service "api" replica 1: exited while running: exit status 5`) {
			t.Errorf("Exit = %+v", ex)
		}
		if !slices.Contains(ex.LastLines, "exiting on request") {
			t.Errorf("last lines %q lack the exit message", ex.LastLines)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit reported")
	}
	// The crashed replica is not a Stop problem: it was reported already.
	if err := g.Stop(context.Background()); err != nil {
		t.Error(err)
	}
	if _, ok := <-g.Exited(); ok {
		t.Error("Exited not closed after Stop")
	}
}

func TestPortTakenRestartsOnNewPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var calls atomic.Int32
	old := pickPort
	t.Cleanup(func() { pickPort = old })
	pickPort = func() (int, error) {
		if calls.Add(1) == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return old()
	}
	s := spec(t, "", 1)
	g, err := Start(context.Background(), s, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	defer assertGone(t, g.PIDs())
	if g.Addrs()[0] == taken.Addr().String() || calls.Load() != 2 {
		t.Errorf("addr %s after %d picks; taken was %s", g.Addrs()[0], calls.Load(), taken.Addr())
	}
	if got := get(t, "http://"+g.Addrs()[0]+"/healthz"); got != "ok" {
		t.Errorf("healthz = %q", got)
	}
	g.Stop(context.Background())
	b, _ := os.ReadFile(filepath.Join(s.LogDir, "api-0.log"))
	if !strings.Contains(string(b), "port taken, restarting on") {
		t.Errorf("log lacks the restart note:\n%s", b)
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	before := children(t)
	_, err := Start(ctx, spec(t, "hang", 2), Vars{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if left := children(t); !slices.Equal(left, before) {
		t.Errorf("children left running: %v", left)
	}
}

// TestStartToReady4 measures start→ready of 4 replicas (go test -v shows it).
func TestStartToReady4(t *testing.T) {
	var ds []time.Duration
	for range 5 {
		t0 := time.Now()
		g, err := Start(context.Background(), spec(t, "", 4), Vars{})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		pg := g.PIDs()
		if err := g.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		assertGone(t, pg)
	}
	slices.Sort(ds)
	t.Logf("start→ready, 4 replicas: median %v (all %v)", ds[len(ds)/2], ds)
}

// procState is the state letter of pid ("R", "S", "Z"...), "" if gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	return strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))[0]
}

func TestReplicaDiesWithParent(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), "MAYFLY_TEST_PARENT=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Wait()
	defer parent.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("parent: %v (%q)", err, line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("parent said %q", line)
	}
	// Alive after the parent retired threads...
	if st := procState(pid); st == "" || st == "Z" {
		t.Fatalf("replica %d died while its parent lives (state %q): parent-death signal from a retired thread", pid, st)
	}
	// ...and dead once the parent is SIGKILLed, with no Stop.
	parent.Process.Kill()
	parent.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for st := procState(pid); st != "" && st != "Z"; st = procState(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("replica %d still running (state %s) after its parent was killed", pid, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStopCancelledKillsAtOnce(t *testing.T) {
	s := spec(t, "ignore-term", 1)
	s.Grace = time.Minute
	g, err := Start(context.Background(), s, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	defer assertGone(t, g.PIDs())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	if err := g.Stop(ctx); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want a killed replica", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("Stop with a done ctx took %v", el)
	}
}

// TestForkThreadOutlivesCaller: a caller locked to a thread that it then
// retires must not take the parent-death signal down with it (the child
// would be SIGKILLed although Mayfly lives).
func TestForkThreadOutlivesCaller(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		errc <- startPinned(cmd)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		assertGone(t, []int{cmd.Process.Pid})
	}()
	time.Sleep(200 * time.Millisecond) // for the thread to go and a signal to land
	if st := procState(cmd.Process.Pid); st == "" || st == "Z" {
		t.Fatalf("child died with the caller's thread (state %q)", st)
	}
}
