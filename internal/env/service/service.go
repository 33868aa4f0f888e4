// Package service runs a service under test as N replicas of one command,
// each on its own free loopback port, and brings them down again without
// leaving anything behind.
//
// A replica is started with its environment templated from Vars (database
// URL, its address and port, replica index, seed), its stdout and stderr
// captured to LogDir/NAME-REPLICA.log and to an in-memory ring of the last
// lines (so that every error can show what the service said), and is
// polled for readiness (HTTP 2xx or an accepting TCP port) every 25ms.
// Start returns when every replica is ready, or stops everything it started
// and returns an error naming the service, the replica, the step and the
// cause.
//
// Every replica runs in its own process group, so Stop can SIGTERM and then
// SIGKILL the replica together with whatever it spawned, and a Ctrl-C sent
// to Mayfly's terminal group reaches the services only through Stop. Each
// replica also gets a parent-death signal (SIGKILL), so it dies if Mayfly is
// killed. Linux delivers that signal when the *thread* that forked the child
// exits, not the process; Go may retire threads (a goroutine that exits
// while locked to its thread takes the thread with it), so every replica is
// forked from one goroutine locked to its thread for the life of the
// process (see spawn). The parent-death signal reaches the replica only, not
// its descendants: what a SIGKILLed Mayfly leaves behind is for
// `mayfly env gc`.
//
// Replica indices are 0-based, in Vars.Replica, in log file names and in
// errors.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"
)

// Spec describes one service: a command run as Replicas processes.
type Spec struct {
	Name string
	// Command is the argv; argv[0] is looked up in PATH. Arguments are
	// templated like Env, so "--port={{.Port}}" works.
	Command []string
	// Env values are text/templates over Vars ({{.Addr}} {{.Port}}
	// {{.Replica}} {{.Seed}} {{.Postgres.URL}} {{index .Extra "k"}}). They
	// are added to Mayfly's own environment, after PORT and ADDR, which are
	// always set.
	Env      map[string]string
	Replicas int // default 1
	Ready    Ready
	Grace    time.Duration // SIGTERM→SIGKILL in Stop; default 10s
	Dir      string        // working directory; default Mayfly's
	LogDir   string        // replica logs go to LogDir/NAME-REPLICA.log; none if empty
}

// Ready says when a replica is ready to take load.
type Ready struct {
	// HTTP is "GET /healthz" (or just "/healthz"): ready when that request
	// answers 2xx. If empty, the replica is ready when its port accepts a
	// TCP connection.
	HTTP    string
	Timeout time.Duration // per start attempt; default 30s
}

// Vars are what Env and Command templates see. Addr, Port and Replica are
// filled in per replica; the rest comes from Start's base.
type Vars struct {
	Addr     string
	Port     int
	Replica  int
	Seed     uint64
	Postgres struct{ URL string }
	Extra    map[string]string
}

// Exit reports a replica that exited while the group was running.
type Exit struct {
	Replica   int
	Err       error // what the process ended with ("exit status 3", "signal: killed"), wrapped with the service and replica
	LastLines []string
}

const (
	defaultTimeout = 30 * time.Second
	defaultGrace   = 10 * time.Second
	pollEvery      = 25 * time.Millisecond
	ringLines      = 20
	portAttempts   = 3
	// drainWait bounds how long we wait for a dead replica's output to be
	// read: a descendant outside the group could hold the pipe open forever.
	drainWait = 500 * time.Millisecond
)

// Group is the running replicas of one Spec.
type Group struct {
	spec     Spec
	replicas []*replica

	mu       sync.Mutex // guards running, stopping, exited's closing and sends
	running  bool       // Start finished: an exit now is a crash, reported on exited
	stopping bool
	exited   chan Exit

	stopOnce sync.Once
	stopErr  error
}

// replica is one replica slot; a start attempt that lost its port is
// replaced by the next, so proc changes only before the replica is ready.
type replica struct {
	index int
	log   *logSink
	proc  *proc
}

// proc is one started process.
type proc struct {
	cmd     *exec.Cmd
	port    int
	addr    string
	pgid    int
	out     *os.File      // read end of the stdout+stderr pipe
	drained chan struct{} // closed when out hit EOF or was closed
	done    chan struct{} // closed when Wait returned; waitErr is set before
	waitErr error
}

// Start starts s.Replicas replicas and waits until all are ready. On any
// failure it stops what it started and returns the first replica's error.
// ctx bounds the start only: cancelling it later does not stop the group.
func Start(ctx context.Context, s Spec, base Vars) (*Group, error) {
	if s.Name == "" {
		return nil, errors.New("service: empty name")
	}
	if len(s.Command) == 0 || s.Command[0] == "" {
		return nil, fmt.Errorf("service %q: empty command", s.Name)
	}
	if s.Replicas < 0 {
		return nil, fmt.Errorf("service %q: replicas %d < 0", s.Name, s.Replicas)
	}
	if s.Replicas == 0 {
		s.Replicas = 1
	}
	if s.Ready.Timeout <= 0 {
		s.Ready.Timeout = defaultTimeout
	}
	if s.Grace <= 0 {
		s.Grace = defaultGrace
	}
	if _, _, err := parseHTTPCheck(s.Ready.HTTP); err != nil {
		return nil, fmt.Errorf("service %q: ready: %w", s.Name, err)
	}
	// Parse every template before starting anything: a typo in the plan is
	// an error, not a replica started with a half-made environment.
	tmpl, err := parseTemplates(s)
	if err != nil {
		return nil, err
	}
	if s.LogDir != "" {
		if err := os.MkdirAll(s.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("service %q: create log dir: %w", s.Name, err)
		}
	}

	g := &Group{spec: s, exited: make(chan Exit, s.Replicas)}
	for i := range s.Replicas {
		sink, err := newLogSink(s, i)
		if err != nil {
			g.Stop(context.Background())
			return nil, err
		}
		g.replicas = append(g.replicas, &replica{index: i, log: sink})
	}

	// Bring replicas up in parallel: start→ready is then the slowest
	// replica's, not the sum. The first failure cancels the others.
	upCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, s.Replicas)
	var wg sync.WaitGroup
	for i, r := range g.replicas {
		wg.Go(func() {
			errs[i] = g.bringUp(upCtx, r, tmpl, base)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := firstCause(errs); err != nil {
		g.Stop(context.Background())
		return nil, err
	}

	// A replica may have died between being ready and now; the watcher saw
	// running=false and reported nothing, so it is Start's error. Checking
	// done and setting running under mu means each exit is reported exactly
	// once, here or on Exited.
	g.mu.Lock()
	for _, r := range g.replicas {
		select {
		case <-r.proc.done:
			g.mu.Unlock()
			err := fmt.Errorf("service %q replica %d: exited right after becoming ready (%v)%s",
				s.Name, r.index, r.proc.waitErr, lastLinesSuffix(r.log.waitLines(r.proc.drained)))
			g.Stop(context.Background())
			return nil, err
		default:
		}
	}
	g.running = true
	g.mu.Unlock()
	return g, nil
}

// firstCause picks the error to report: the lowest replica's, preferring a
// real cause over the context.Canceled of replicas cancelled because of it.
func firstCause(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// Addrs returns 127.0.0.1:PORT for each replica, in replica order.
func (g *Group) Addrs() []string {
	out := make([]string, len(g.replicas))
	for i, r := range g.replicas {
		out[i] = r.proc.addr
	}
	return out
}

// PIDs returns each replica's process id (also its process group id).
func (g *Group) PIDs() []int {
	out := make([]int, len(g.replicas))
	for i, r := range g.replicas {
		out[i] = r.proc.pgid
	}
	return out
}

// Exited reports replicas that exit while the group runs (crashes). It is
// buffered for one exit per replica and closed when Stop has finished.
func (g *Group) Exited() <-chan Exit { return g.exited }

// Stop stops every replica's process group: SIGTERM, up to Grace (or until
// ctx is done) for the group to go, then SIGKILL. It always stops
// everything; the error lists replicas that had to be killed or exited
// badly during the stop. Later calls return the first call's result.
func (g *Group) Stop(ctx context.Context) error {
	g.stopOnce.Do(func() {
		g.mu.Lock()
		g.stopping = true
		g.mu.Unlock()

		errs := make([]error, len(g.replicas))
		var wg sync.WaitGroup
		for i, r := range g.replicas {
			wg.Go(func() { errs[i] = g.stopReplica(ctx, r) })
		}
		wg.Wait()
		g.stopErr = errors.Join(errs...)

		g.mu.Lock()
		close(g.exited)
		g.mu.Unlock()
	})
	return g.stopErr
}

func (g *Group) stopReplica(ctx context.Context, r *replica) error {
	defer r.log.close()
	p := r.proc
	if p == nil {
		return nil // never started (Start failed before it)
	}
	crashed := isDone(p.done)
	killed := false
	// Also when the leader crashed: its descendants get their grace too.
	_ = syscall.Kill(-p.pgid, syscall.SIGTERM)
	// The grace is for the leader: descendants got the same SIGTERM at the
	// same time, and the leader is the one that waits for its own. Waiting
	// for the whole group would not work anyway: an orphaned descendant's
	// zombie stays in the group until init reaps it, which in a container
	// may be never.
	deadline := time.NewTimer(g.spec.Grace)
	defer deadline.Stop()
	select {
	case <-p.done:
	case <-deadline.C:
		killed = true
	case <-ctx.Done():
		killed = true
	}
	// Always: also sweeps descendants that outlived their leader.
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	<-p.done // SIGKILL cannot be ignored; Wait returns promptly
	r.log.waitLines(p.drained)
	p.out.Close() // ends the reader if an escaped descendant holds the pipe

	switch {
	case crashed:
		return nil // already reported on Exited
	case killed:
		return fmt.Errorf("service %q replica %d: still running %v after SIGTERM, killed", g.spec.Name, r.index, g.spec.Grace)
	case !cleanStop(p.waitErr):
		return fmt.Errorf("service %q replica %d: stop: %w", g.spec.Name, r.index, p.waitErr)
	}
	return nil
}

// cleanStop: exiting 0 or dying of our SIGTERM is a clean stop.
func cleanStop(err error) bool {
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return true
		}
	}
	return false
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// bringUp starts replica r and waits for it to be ready, moving to a new
// port when the service says its port was taken (another process can grab
// a port between our probe-listen and the service's bind).
func (g *Group) bringUp(ctx context.Context, r *replica, tmpl *templates, base Vars) error {
	s := g.spec
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			return fmt.Errorf("service %q replica %d: pick a free port: %w", s.Name, r.index, err)
		}
		v := base
		v.Port = port
		v.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		v.Replica = r.index
		argv, env, err := tmpl.render(v)
		if err != nil {
			return fmt.Errorf("service %q replica %d: %w", s.Name, r.index, err)
		}
		if attempt > 1 {
			r.log.note(fmt.Sprintf("mayfly: port taken, restarting on %s (attempt %d of %d)", v.Addr, attempt, portAttempts))
		}
		p, err := g.spawn(r, argv, env, v)
		if err != nil {
			return fmt.Errorf("service %q replica %d: start %s: %w", s.Name, r.index, argv[0], err)
		}
		r.proc = p

		err = waitReady(ctx, p, s.Ready)
		if err == nil {
			return nil
		}
		var early *exitedEarly
		if errors.As(err, &early) {
			lines := r.log.waitLines(p.drained)
			if attempt < portAttempts && mentionsAddrInUse(lines) {
				g.reap(p)
				r.proc = nil // its pid may be reused: Stop must not signal it
				continue
			}
			return fmt.Errorf("service %q replica %d: exited before ready (%v)%s", s.Name, r.index, early.err, lastLinesSuffix(lines))
		}
		// Not ready (timeout or ctx): the process is still there; Stop
		// (called by Start on error) takes care of it.
		return fmt.Errorf("service %q replica %d: %w%s", s.Name, r.index, err, lastLinesSuffix(r.log.lines()))
	}
}

// reap cleans up a start attempt that exited before ready, so the next
// attempt does not leave its descendants or pipe behind.
func (g *Group) reap(p *proc) {
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	<-p.done
	p.out.Close()
}

func mentionsAddrInUse(lines []string) bool {
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), "address already in use") {
			return true
		}
	}
	return false
}

func lastLinesSuffix(lines []string) string {
	if len(lines) == 0 {
		return "; no log output"
	}
	return "; last log lines:\n" + strings.Join(lines, "\n")
}

// pickPort finds a free loopback port by letting the kernel choose one. A
// variable so tests can hand out a taken port.
var pickPort = func() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// spawn starts one process of replica r and the goroutines that follow it:
// one copying its output to the log (ends at EOF, or when Stop/reap closes
// the pipe), one waiting for it (ends when it exits).
func (g *Group) spawn(r *replica, argv, env []string, v Vars) (*proc, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = g.spec.Dir
	// One pipe for both streams keeps their lines in order. An *os.File
	// (not an io.Writer) so that Wait returns when the process exits rather
	// than when every descendant has closed its copy of the pipe.
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = startPinned(cmd)
	pw.Close() // the child has its copy; ours would keep the reader from EOF
	if err != nil {
		pr.Close()
		return nil, err
	}
	p := &proc{
		cmd: cmd, port: v.Port, addr: v.Addr, pgid: cmd.Process.Pid,
		out: pr, drained: make(chan struct{}), done: make(chan struct{}),
	}
	go func() {
		defer close(p.drained)
		r.log.copyFrom(pr)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
		lines := r.log.waitLines(p.drained) // outside mu: may take drainWait
		g.mu.Lock()
		defer g.mu.Unlock()
		// Only the replica's final process can be running here: earlier
		// attempts exited before Start finished.
		if g.running && !g.stopping {
			// Buffered for one exit per replica, so never blocks.
			g.exited <- Exit{
				Replica:   r.index,
				Err:       fmt.Errorf("service %q replica %d: exited while running: %w", g.spec.Name, r.index, exitStatus(p.waitErr)),
				LastLines: lines,
			}
		}
	}()
	return p, nil
}

// The spawner: see the package doc. Its goroutine is locked to its thread
// and never returns, so that thread lives as long as the process and no
// replica gets its parent-death signal while Mayfly is alive.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

func startPinned(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked, on purpose
			for req := range spawnReqs {
				req.err <- req.cmd.Start()
			}
		}()
	})
	req := spawnReq{cmd: cmd, err: make(chan error, 1)}
	spawnReqs <- req
	return <-req.err
}

// exitedEarly is waitReady's verdict when the process died first.
type exitedEarly struct{ err error }

func (e *exitedEarly) Error() string { return fmt.Sprintf("exited before ready (%v)", e.err) }

// waitReady polls p every pollEvery until the check passes, p exits, the
// timeout passes or ctx is done.
func waitReady(ctx context.Context, p *proc, rd Ready) error {
	method, path, _ := parseHTTPCheck(rd.HTTP)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(rd.Timeout)
	what := "TCP connect"
	if path != "" {
		what = method + " " + path
	}
	lastErr := errors.New("not checked yet")
	// A check must not outlive the process: on a port someone else took, a
	// listener that accepts but never answers would hold it for its timeout.
	checkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // ends when the process exits or waitReady returns
		select {
		case <-p.done:
			cancel()
		case <-checkCtx.Done():
		}
	}()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if isDone(p.done) {
			return &exitedEarly{err: exitStatus(p.waitErr)}
		}
		attempt := min(time.Until(deadline), time.Second)
		if attempt <= 0 {
			return fmt.Errorf("not ready after %v (%s: %s)", rd.Timeout, what, lastErr)
		}
		var err error
		if path == "" {
			err = checkTCP(checkCtx, p.addr, attempt)
		} else {
			err = checkHTTP(checkCtx, client, method, "http://"+p.addr+path, attempt)
		}
		if err == nil {
			return nil
		}
		lastErr = shortCause(err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for ready (%s: %s): %w", what, lastErr, ctx.Err())
		case <-p.done:
		case <-tick.C:
		}
	}
}

func exitStatus(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

func checkTCP(ctx context.Context, addr string, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

func checkHTTP(ctx context.Context, client *http.Client, method, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// shortCause turns "Get \"http://...\": dial tcp ...: connect: connection
// refused" into "connection refused": the error already names the check.
func shortCause(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer in time")
	}
	return err
}

// parseHTTPCheck splits "GET /healthz" (or "/healthz") into method and
// path; "" means a TCP check.
func parseHTTPCheck(s string) (method, path string, err error) {
	f := strings.Fields(s)
	switch len(f) {
	case 0:
		return "", "", nil
	case 1:
		method, path = http.MethodGet, f[0]
	case 2:
		method, path = strings.ToUpper(f[0]), f[1]
	default:
		return "", "", fmt.Errorf("%q: want \"METHOD /path\"", s)
	}
	if !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("%q: path must start with /", s)
	}
	return method, path, nil
}

// templates are a Spec's parsed Command and Env templates.
type templates struct {
	argv []*template.Template
	env  []envTemplate // sorted by key: a deterministic environment
}

type envTemplate struct {
	key string
	t   *template.Template
}

func parseTemplates(s Spec) (*templates, error) {
	t := &templates{}
	for i, a := range s.Command {
		pt, err := template.New(fmt.Sprintf("command[%d]", i)).Option("missingkey=error").Parse(a)
		if err != nil {
			return nil, fmt.Errorf("service %q: command: %w", s.Name, err)
		}
		t.argv = append(t.argv, pt)
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("service %q: env: bad variable name %q", s.Name, k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		pt, err := template.New("env " + k).Option("missingkey=error").Parse(s.Env[k])
		if err != nil {
			return nil, fmt.Errorf("service %q: env %s: %w", s.Name, k, err)
		}
		t.env = append(t.env, envTemplate{k, pt})
	}
	return t, nil
}

func (t *templates) render(v Vars) (argv, env []string, err error) {
	exec := func(pt *template.Template) (string, error) {
		var b bytes.Buffer
		if err := pt.Execute(&b, v); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	for _, pt := range t.argv {
		a, err := exec(pt)
		if err != nil {
			return nil, nil, fmt.Errorf("template %w", err)
		}
		argv = append(argv, a)
	}
	env = append(os.Environ(), "PORT="+strconv.Itoa(v.Port), "ADDR="+v.Addr)
	for _, e := range t.env {
		val, err := exec(e.t)
		if err != nil {
			return nil, nil, fmt.Errorf("template %w", err)
		}
		env = append(env, e.key+"="+val) // later entries win in exec.Cmd
	}
	return argv, env, nil
}

// logSink writes a replica's output to its log file and keeps the last
// ringLines lines in memory for error messages.
type logSink struct {
	mu      sync.Mutex
	file    *os.File // nil without LogDir
	ring    []string
	partial []byte // an unterminated last line
}

func newLogSink(s Spec, replica int) (*logSink, error) {
	l := &logSink{}
	if s.LogDir == "" {
		return l, nil
	}
	path := filepath.Join(s.LogDir, fmt.Sprintf("%s-%d.log", s.Name, replica))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("service %q replica %d: create log: %w", s.Name, replica, err)
	}
	l.file = f
	return l, nil
}

func (l *logSink) copyFrom(f *os.File) {
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			l.write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (l *logSink) write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		_, _ = l.file.Write(p) // a full disk must not stop the service
	}
	data := append(l.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		l.push(string(data[:i]))
		data = data[i+1:]
	}
	// Bound a line that never ends, so memory stays bounded too.
	if len(data) > 4096 {
		l.push(string(data))
		data = nil
	}
	l.partial = append([]byte(nil), data...)
}

func (l *logSink) push(line string) {
	line = strings.TrimSuffix(line, "\r")
	if len(l.ring) == ringLines {
		copy(l.ring, l.ring[1:])
		l.ring = l.ring[:ringLines-1]
	}
	l.ring = append(l.ring, line)
}

// note records a line of Mayfly's own in the replica's log.
func (l *logSink) note(line string) { l.write([]byte(line + "\n")) }

func (l *logSink) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.ring...)
	if len(l.partial) > 0 {
		out = append(out, string(l.partial))
		if len(out) > ringLines {
			out = out[1:]
		}
	}
	return out
}

// waitLines returns the last lines once the process's output has been read
// (bounded by drainWait).
func (l *logSink) waitLines(drained <-chan struct{}) []string {
	t := time.NewTimer(drainWait)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
	}
	return l.lines()
}

func (l *logSink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
}
