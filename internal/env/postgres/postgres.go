// Package postgres starts throw-away PostgreSQL clusters for test
// environments: initdb (or a copy of a cached initdb result) into a fresh
// temp dir, the server on a free loopback port with trust authentication
// for loopback only, a database and extensions created, and on Stop a fast
// shutdown and the removal of everything it made.
//
// The postmaster runs in its own process group, so a Ctrl-C delivered to
// Mayfly's group reaches it only through our orderly Stop. It deliberately
// has no parent-death signal: SIGKILLing a postmaster leaves backends and
// shared memory behind, which is worse than a stopped-late cluster. What a
// SIGKILLed Mayfly leaves (a mayfly-pg-* dir with a postmaster.pid) is for
// `mayfly env gc` to reap.
//
// PostgreSQL refuses to run as root; when Mayfly runs as root (CI), initdb
// and postgres run as the "postgres" system user.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configures a cluster. The zero value gives a cluster suited to
// tests.
type Options struct {
	// Settings are written to postgresql.conf, over the defaults
	// (DefaultSettings): fsync=off, synchronous_commit=off,
	// full_page_writes=off, listen_addresses='127.0.0.1',
	// max_connections=200, shared_preload_libraries=pg_stat_statements.
	Settings map[string]string
	// Extensions are created in Database after start. nil means
	// ["pg_stat_statements"]; an empty non-nil slice means none.
	Extensions []string
	// Database is created after start; default "mayfly".
	Database string
	// BinDir holds initdb and postgres. Default: the directory of initdb
	// on PATH, then the newest /usr/lib/postgresql/*/bin.
	BinDir string
	// Dir is the parent of the cluster's temp dir; default os.TempDir().
	// When running as root it must be traversable by the postgres user.
	Dir string
	// Log receives a copy of the server log (optional). The log file also
	// stays in the cluster dir (Dir()/postgres.log) until Stop.
	Log io.Writer

	// CacheDir holds initdb'ed data directories, one per (binaries,
	// initdb arguments, owner); copying one is several times faster than
	// running initdb. Default: os.UserCacheDir()/mayfly.
	CacheDir string
	// NoCache runs initdb every time.
	NoCache bool
}

// DefaultSettings returns the settings every cluster gets unless
// Options.Settings overrides them: durability off (the data is
// throw-away, and fsyncs dominate setup time), loopback only, and
// pg_stat_statements loaded for the probes.
func DefaultSettings() map[string]string {
	return map[string]string{
		"fsync":                    "off",
		"synchronous_commit":       "off",
		"full_page_writes":         "off",
		"listen_addresses":         "127.0.0.1",
		"max_connections":          "200",
		"shared_preload_libraries": "pg_stat_statements",
	}
}

// Timing is the duration of one step of Start.
type Timing struct {
	Name     string
	Duration time.Duration
}

// Cluster is a running throw-away cluster. Its methods are safe for
// concurrent use.
type Cluster struct {
	dir      string // the temp dir: data/, postgres.log, the socket
	dataDir  string
	logPath  string
	port     int
	user     string
	database string
	version  string
	timings  []Timing

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait returned
	logF   *os.File

	stopOnce sync.Once
	stopErr  error
}

const (
	superuser    = "mayfly"
	readyTimeout = 30 * time.Second
	readyPoll    = 20 * time.Millisecond
	stopGrace    = 10 * time.Second
	portAttempts = 3
	logTailLines = 20
)

// initdbArgs are the initdb arguments besides -D; they are part of the
// cache key. --no-sync: the dir is throw-away, and syncing is most of
// initdb's time.
var initdbArgs = []string{"--no-sync", "--auth=trust", "-U", superuser, "--encoding=UTF8", "--locale=C"}

// Start creates and starts a cluster. On error nothing is left behind.
func Start(ctx context.Context, opt Options) (*Cluster, error) {
	bin, err := findBinDir(opt.BinDir)
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	settings := DefaultSettings()
	for k, v := range opt.Settings {
		settings[strings.ToLower(k)] = v
	}
	conf, err := confLines(settings)
	if err != nil {
		return nil, err
	}
	exts := opt.Extensions
	if exts == nil {
		exts = []string{"pg_stat_statements"}
	}
	db := opt.Database
	if db == "" {
		db = "mayfly"
	}

	parent := opt.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "mayfly-pg-*")
	if err != nil {
		return nil, fmt.Errorf("postgres: create cluster dir: %w", err)
	}
	c := &Cluster{
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		logPath:  filepath.Join(dir, "postgres.log"),
		user:     superuser,
		database: db,
	}
	ok := false
	defer func() {
		if !ok {
			// Best effort: the error that made Start fail matters more.
			_ = c.Stop(context.WithoutCancel(ctx))
		}
	}()
	if cred != nil {
		// The temp dir is ours (root, 0700); the server user must own it
		// to create data/ and the socket in it.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("postgres: chown %s to the postgres user: %w", dir, err)
		}
	}

	t0 := time.Now()
	baked, err := c.initdb(ctx, bin, cred, opt, exts)
	if err != nil {
		return nil, err
	}
	if err := c.configure(conf); err != nil {
		return nil, err
	}
	c.timings = append(c.timings, Timing{"initdb", time.Since(t0)})

	t0 = time.Now()
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			return nil, fmt.Errorf("postgres: find a free port: %w", err)
		}
		ready, err := c.start(ctx, bin, cred, port, settings["listen_addresses"], opt.Log)
		if err == nil {
			// "start" includes failed attempts on taken ports.
			c.timings = append(c.timings, Timing{"start", time.Since(t0) - ready}, Timing{"ready", ready})
			break
		}
		if attempt < portAttempts && errors.Is(err, errPortTaken) {
			// Someone took the port between our probe and the bind.
			continue
		}
		return nil, err
	}

	if err := c.setup(ctx, exts, baked); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// runAs returns the credentials to run the server with: nil when we are
// not root, else the postgres system user's.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: running as root, and PostgreSQL refuses to run as root, but there is no postgres system user to run it as (apt-get install postgresql, or run as a normal user): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres: user postgres has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// findBinDir returns the directory holding initdb and postgres.
func findBinDir(binDir string) (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if binDir != "" {
		if !has(binDir) {
			return "", fmt.Errorf("postgres: initdb not found in %s (install the server: apt-get install postgresql)", binDir)
		}
		return binDir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); has(d) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest first, by numeric major version ("9.6" < "15").
	sort.Slice(dirs, func(i, j int) bool {
		return versionKey(filepath.Base(filepath.Dir(dirs[i]))) > versionKey(filepath.Base(filepath.Dir(dirs[j])))
	})
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", errors.New("postgres: initdb not found (install the server: apt-get install postgresql)")
}

func versionKey(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_$]*)?$`)

// confLines renders settings as postgresql.conf lines, sorted for a
// stable file. Every value is quoted: the server accepts a quoted string
// for settings of any type, and quoting keeps a value from ending the line.
func confLines(settings map[string]string) (string, error) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		if !settingName.MatchString(k) {
			return "", fmt.Errorf("postgres: setting %q: not a valid setting name", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("\n# Added by mayfly.\n")
	for _, k := range keys {
		v := settings[k]
		if strings.ContainsAny(v, "\n\r\x00") {
			return "", fmt.Errorf("postgres: setting %s: value contains a line break", k)
		}
		v = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `'`, `''`)
		fmt.Fprintf(&b, "%s = '%s'\n", k, v)
	}
	return b.String(), nil
}

// hbaConf allows password-less access over the socket and loopback only.
const hbaConf = `# Written by mayfly: a throw-away test cluster, trust on loopback only.
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
`

// configure appends settings to postgresql.conf (later lines win) and
// replaces pg_hba.conf.
func (c *Cluster) configure(conf string) error {
	f, err := os.OpenFile(filepath.Join(c.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("postgres: write settings: %w", err)
	}
	_, err = f.WriteString(conf)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("postgres: write settings: %w", err)
	}
	// WriteFile keeps the existing file's owner (the server user).
	if err := os.WriteFile(filepath.Join(c.dataDir, "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return fmt.Errorf("postgres: write pg_hba.conf: %w", err)
	}
	return nil
}

// serverCmd returns a command running as the server user (when root), in
// its own process group, with the PG* variables of our environment
// removed so that they cannot redirect it.
func serverCmd(ctx context.Context, cred *syscall.Credential, dir, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if ctx != nil {
		cmd = exec.CommandContext(ctx, name, args...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if ctx != nil {
		// Kill the group, not only the leader: initdb's bootstrap
		// postgres would otherwise write on into a dir being removed.
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C")
	return cmd
}

func (c *Cluster) runInitdb(ctx context.Context, bin string, cred *syscall.Credential, dataDir string) error {
	args := append([]string{"-D", dataDir}, initdbArgs...)
	cmd := serverCmd(ctx, cred, filepath.Dir(dataDir), filepath.Join(bin, "initdb"), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("postgres: initdb %s: %w\n%s", dataDir, err, tail(out, logTailLines))
	}
	return nil
}

// pickPort is freePort; tests replace it to make a bind fail.
var pickPort = freePort

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

var errPortTaken = errors.New("port taken")

// start runs the postmaster on port and waits until it accepts
// connections, returning how long that wait took. If the server exits
// first, the error holds the end of its log (and wraps errPortTaken when
// it could not bind).
func (c *Cluster) start(ctx context.Context, bin string, cred *syscall.Credential, port int, listen string, logCopy io.Writer) (time.Duration, error) {
	logF, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("postgres: create server log: %w", err)
	}
	// No ctx: the server must outlive Start; Stop ends it.
	cmd := serverCmd(nil, cred, c.dir, filepath.Join(bin, "postgres"),
		"-D", c.dataDir, "-p", strconv.Itoa(port), "-k", c.dir, "-c", "listen_addresses="+listen)
	var w io.Writer = logF // an *os.File is handed to the child directly: no copying goroutine
	if logCopy != nil {
		w = io.MultiWriter(logF, logCopy)
		// Bounds cmd.Wait's copying should an orphaned backend keep the
		// pipe open after the postmaster died.
		cmd.WaitDelay = 2 * time.Second
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		logF.Close()
		return 0, fmt.Errorf("start postgres on port %d: %w", port, err)
	}
	exited := make(chan struct{})
	// Exits when the postmaster does; Stop kills it if it will not.
	go func() {
		_ = cmd.Wait() // the exit status adds nothing to the log's account
		close(exited)
	}()
	c.cmd, c.exited, c.logF, c.port = cmd, exited, logF, port

	t0 := time.Now()
	cfg, err := pgx.ParseConfig(c.urlFor("postgres"))
	if err != nil {
		return 0, fmt.Errorf("postgres: parse url: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	// A connection attempt ends when the server exits: otherwise, on a
	// port someone else holds, it could wait for a foreign listener.
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // exits at the latest with the deferred cancel
		select {
		case <-exited:
			cancel()
		case <-connCtx.Done():
		}
	}()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		conn, err := pgx.ConnectConfig(connCtx, cfg)
		if err == nil {
			verr := conn.QueryRow(connCtx, "SHOW server_version").Scan(&c.version)
			conn.Close(connCtx)
			if verr != nil {
				return 0, fmt.Errorf("postgres on port %d: read server_version: %w", port, verr)
			}
			return time.Since(t0), nil
		}
		select {
		case <-exited:
			c.discardProcess()
			log := c.logTail()
			if strings.Contains(log, "could not bind") || strings.Contains(log, "already in use") {
				return 0, fmt.Errorf("start postgres on port %d: %w:\n%s", port, errPortTaken, log)
			}
			return 0, fmt.Errorf("start postgres on port %d: server exited:\n%s", port, log)
		case <-deadline.C:
			return 0, fmt.Errorf("start postgres on port %d: not ready after %v: %w\n%s", port, readyTimeout, err, c.logTail())
		case <-ctx.Done():
			return 0, fmt.Errorf("start postgres on port %d: %w", port, ctx.Err())
		case <-tick.C:
		}
	}
}

// discardProcess forgets a postmaster that has exited, so that a retry
// can start another.
func (c *Cluster) discardProcess() {
	c.cmd, c.exited = nil, nil
	if c.logF != nil {
		c.logF.Close()
		c.logF = nil
	}
}

// setup creates the database and the extensions, unless they were baked
// into the data directory.
func (c *Cluster) setup(ctx context.Context, exts []string, baked bool) error {
	if baked {
		c.timings = append(c.timings, Timing{"database", 0}, Timing{"extensions", 0})
		return nil
	}
	t0 := time.Now()
	if c.database != "postgres" {
		if err := c.CreateDatabase(ctx, c.database, ""); err != nil {
			return err
		}
	}
	c.timings = append(c.timings, Timing{"database", time.Since(t0)})

	t0 = time.Now()
	if len(exts) > 0 {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return fmt.Errorf("postgres: connect to create extensions: %w", err)
		}
		defer conn.Close(ctx)
		for _, e := range exts {
			if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+pgx.Identifier{e}.Sanitize()); err != nil {
				return fmt.Errorf("postgres: create extension %s: %w", e, err)
			}
		}
	}
	c.timings = append(c.timings, Timing{"extensions", time.Since(t0)})
	return nil
}

func (c *Cluster) urlFor(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", c.user, c.port, url.PathEscape(db))
}

// URL is the connection URL of the cluster's database (trust auth, no
// password).
func (c *Cluster) URL() string { return c.urlFor(c.database) }

// Port is the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir is the cluster's temp dir: data/, postgres.log and the unix socket.
func (c *Cluster) Dir() string { return c.dir }

// PID is the postmaster's process id.
func (c *Cluster) PID() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Version is the server_version setting, e.g. "15.14 (Debian 15.14-0+deb12u1)".
func (c *Cluster) Version() string { return c.version }

// Timings are the durations of Start's steps: initdb (initdb, or the
// copy of a cached data dir; on a cache miss also creating the database
// and extensions in single-user mode; and writing the settings), start
// (spawning the postmaster), ready (until it answered a query), database
// and extensions (0 when they came with the cached data dir).
func (c *Cluster) Timings() []Timing { return append([]Timing(nil), c.timings...) }

// CreateDatabase runs CREATE DATABASE name [TEMPLATE template]; both are
// quoted identifiers.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	conn, err := pgx.Connect(ctx, c.urlFor("postgres"))
	if err != nil {
		return fmt.Errorf("postgres: connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down and removes the cluster dir. It asks for a
// fast shutdown (SIGINT, which is what pg_ctl stop -m fast sends; we own
// the child, so sending it ourselves saves a process and a pid-file poll)
// and waits for the postmaster to exit; after a grace of 10s, or when ctx
// ends, it SIGKILLs the server's process group. Stop is idempotent: later
// calls return the first call's result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { c.stopErr = c.stop(ctx) })
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	var errs []error
	if c.cmd != nil {
		pid := c.cmd.Process.Pid
		select {
		case <-c.exited:
		default:
			if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("postgres: signal postmaster %d: %w", pid, err))
			}
			grace := time.NewTimer(stopGrace)
			select {
			case <-c.exited:
			case <-grace.C:
			case <-ctx.Done():
			}
			grace.Stop()
		}
		select {
		case <-c.exited:
		default:
			// The whole group: the postmaster's backends are in it too.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-c.exited
			errs = append(errs, fmt.Errorf("postgres: postmaster %d did not shut down in time; killed", pid))
		}
	}
	if c.logF != nil {
		c.logF.Close()
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("postgres: remove %s: %w", c.dir, err))
	}
	return errors.Join(errs...)
}

// logTail returns the last lines of the server log.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return tail(b, logTailLines)
}

func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
