package postgres

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// needServer skips when no PostgreSQL server binaries are installed.
func needServer(tb testing.TB) {
	tb.Helper()
	if _, err := findBinDir(""); err != nil {
		tb.Skipf("no PostgreSQL server binaries (apt-get install postgresql): %v", err)
	}
}

// parentDir returns an empty dir for clusters, traversable by the
// postgres user (t.TempDir's parents are 0700 root when tests run as root).
func parentDir(tb testing.TB) string {
	tb.Helper()
	d, err := os.MkdirTemp("", "mayfly-pgtest-*")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func assertEmpty(tb testing.TB, dir string) {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if len(ents) != 0 {
		tb.Errorf("%s not empty after stop: %v", dir, ents)
	}
}

// safeBuffer is a bytes.Buffer the server-log copying may write while the
// test reads.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func query(tb testing.TB, url, sql string) string {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return s
}

func execSQL(tb testing.TB, url, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func TestStartStopLeavesNothing(t *testing.T) {
	needServer(t)
	cache := t.TempDir()
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"no cache", Options{NoCache: true}},
		{"cache fill", Options{CacheDir: cache}},
		{"cache hit", Options{CacheDir: cache}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			parent := parentDir(t)
			log := &safeBuffer{}
			tc.opt.Dir, tc.opt.Log = parent, log
			c, err := Start(ctx, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			dir, port, pid := c.Dir(), c.Port(), c.PID()
			if pid <= 0 || port <= 0 || c.Version() == "" {
				t.Errorf("pid %d, port %d, version %q", pid, port, c.Version())
			}
			if want := "/mayfly?sslmode=disable"; !strings.HasSuffix(c.URL(), want) || !strings.HasPrefix(c.URL(), "postgres://mayfly@127.0.0.1:") {
				t.Errorf("URL %q", c.URL())
			}
			if got := query(t, c.URL(), "SELECT extname::text FROM pg_extension WHERE extname = 'pg_stat_statements'"); got != "pg_stat_statements" {
				t.Errorf("extension: %q", got)
			}
			// Loaded, not only created: the view works only with the
			// library preloaded.
			query(t, c.URL(), "SELECT count(*)::text FROM pg_stat_statements")
			if got := query(t, c.URL(), "SHOW fsync"); got != "off" {
				t.Errorf("fsync = %q", got)
			}
			var names []string
			for _, tm := range c.Timings() {
				names = append(names, tm.Name)
			}
			if got := strings.Join(names, ","); got != "initdb,start,ready,database,extensions" {
				t.Errorf("timings %q", got)
			}
			t.Logf("%s: %v", tc.name, c.Timings())

			t0 := time.Now()
			if err := c.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("stop: %v", time.Since(t0))
			if err := c.Stop(ctx); err != nil {
				t.Errorf("second Stop: %v", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("cluster dir %s still there: %v", dir, err)
			}
			assertEmpty(t, parent)
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("postmaster %d still there: %v", pid, err)
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Errorf("port %d not free: %v", port, err)
			} else {
				l.Close()
			}
			if !strings.Contains(log.String(), "ready to accept connections") {
				t.Errorf("log copy lacks the ready line:\n%s", log.String())
			}
		})
	}
}

func TestTwoClustersSideBySide(t *testing.T) {
	needServer(t)
	ctx := context.Background()
	parent := parentDir(t)
	cache := t.TempDir()
	var cs [2]*Cluster
	for i := range cs {
		c, err := Start(ctx, Options{Dir: parent, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Stop(ctx) })
		cs[i] = c
	}
	if cs[0].Port() == cs[1].Port() || cs[0].Dir() == cs[1].Dir() {
		t.Fatalf("same port or dir: %d %d %s %s", cs[0].Port(), cs[1].Port(), cs[0].Dir(), cs[1].Dir())
	}
	// Each is its own cluster: a table made in one is absent from the other.
	for i, c := range cs {
		execSQL(t, c.URL(), "CREATE TABLE only_in_"+strconv.Itoa(i)+" (id int)")
	}
	for i, c := range cs {
		other := strconv.Itoa(1 - i)
		if got := query(t, c.URL(), "SELECT count(*)::text FROM pg_tables WHERE tablename = 'only_in_"+other+"'"); got != "0" {
			t.Errorf("cluster %d sees cluster %s's table", i, other)
		}
	}
	for _, c := range cs {
		if err := c.Stop(ctx); err != nil {
			t.Error(err)
		}
	}
	assertEmpty(t, parent)
}

func TestStartErrors(t *testing.T) {
	needServer(t)
	for _, tc := range []struct {
		name string
		opt  Options
		want []string
	}{
		{"setting typo", Options{Settings: map[string]string{"shared_bufers": "1"}}, []string{`unrecognized configuration parameter "shared_bufers"`}},
		{"bad value", Options{Settings: map[string]string{"work_mem": "lots"}}, []string{"work_mem", "lots"}},
		{"missing extension", Options{Extensions: []string{"no_such_ext"}}, []string{"create extension no_such_ext", "not available"}},
		{"missing extension, cached", Options{Extensions: []string{"no_such_ext"}, CacheDir: "cache"}, []string{"no_such_ext", "not available"}},
		{"invalid setting name", Options{Settings: map[string]string{"a b": "1"}}, []string{`setting "a b"`}},
		{"missing binaries", Options{BinDir: "/nonexistent"}, []string{"initdb not found", "apt-get install postgresql"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := parentDir(t)
			tc.opt.Dir = parent
			if tc.opt.CacheDir == "" {
				tc.opt.NoCache = true
			} else {
				tc.opt.CacheDir = t.TempDir()
			}
			c, err := Start(context.Background(), tc.opt)
			if err == nil {
				c.Stop(context.Background())
				t.Fatal("no error")
			}
			t.Logf("%v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			assertEmpty(t, parent)
		})
	}
}

func TestStartCanceledCleansUp(t *testing.T) {
	needServer(t)
	for _, after := range []time.Duration{0, 50 * time.Millisecond, 300 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			parent := parentDir(t)
			ctx, cancel := context.WithTimeout(context.Background(), after)
			defer cancel()
			c, err := Start(ctx, Options{Dir: parent, NoCache: true})
			if err == nil {
				c.Stop(context.Background())
				t.Skip("Start finished before the deadline")
			}
			t.Log(err)
			assertEmpty(t, parent)
		})
	}
}

// TestPortTakenRetries makes the first port Start tries a taken one: the
// server fails to bind, and Start retries on another port.
func TestPortTakenRetries(t *testing.T) {
	needServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken, nil
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()

	ctx := context.Background()
	log := &safeBuffer{}
	c, err := Start(ctx, Options{Dir: parentDir(t), CacheDir: t.TempDir(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	if calls != 2 || c.Port() == taken {
		t.Errorf("%d port picks, port %d (taken %d)", calls, c.Port(), taken)
	}
	if !strings.Contains(log.String(), "could not bind") {
		t.Errorf("log copy lacks the failed bind:\n%s", log.String())
	}
	query(t, c.URL(), "SELECT 'ok'")
	t.Logf("%v\n%s", c.Timings(), log.String())
}

func TestSettingsAndCreateDatabase(t *testing.T) {
	needServer(t)
	ctx := context.Background()
	c, err := Start(ctx, Options{
		Dir:        parentDir(t),
		CacheDir:   t.TempDir(),
		Database:   "app",
		Extensions: []string{},
		Settings:   map[string]string{"work_mem": "7MB", "application_name": "it's quoted"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	for _, tc := range []struct{ sql, want string }{
		{"SHOW work_mem", "7MB"},
		{"SHOW application_name", "it's quoted"},
		{"SHOW max_connections", "200"},
		{"SELECT current_database()::text", "app"},
		{"SELECT count(*)::text FROM pg_extension WHERE extname = 'pg_stat_statements'", "0"},
	} {
		if got := query(t, c.URL(), tc.sql); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}
	execSQL(t, c.URL(), "CREATE TABLE t (id int)")
	if err := c.CreateDatabase(ctx, `my "db"`, "app"); err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(c.URL(), "/app?", "/my%20%22db%22?", 1)
	if got := query(t, u, "SELECT count(*)::text FROM pg_tables WHERE tablename = 't'"); got != "1" {
		t.Errorf("table from the template missing: %q", got)
	}
	if err := c.CreateDatabase(ctx, "app", ""); err == nil || !strings.Contains(err.Error(), "create database app") {
		t.Errorf("duplicate database: %v", err)
	}
}

func TestConfLines(t *testing.T) {
	for _, tc := range []struct {
		in      map[string]string
		want    string
		wantErr string
	}{
		{map[string]string{"work_mem": "4MB"}, "work_mem = '4MB'\n", ""},
		{map[string]string{"a": `it's \ x`}, `a = 'it''s \\ x'` + "\n", ""},
		{map[string]string{"pg_stat_statements.track": "all"}, "pg_stat_statements.track = 'all'\n", ""},
		{map[string]string{"b": "1", "a": "2"}, "a = '2'\nb = '1'\n", ""},
		{map[string]string{"x\nfsync": "on"}, "", "not a valid setting name"},
		{map[string]string{"x": "1\nfsync = on"}, "", "line break"},
	} {
		got, err := confLines(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !strings.HasSuffix(got, tc.want) {
			t.Errorf("%v: got %q, %v; want suffix %q", tc.in, got, err, tc.want)
		}
	}
}

// BenchmarkStartStop reports the median Start (create → ready, with the
// database and extensions) and Stop times, with and without the initdb
// cache.
func BenchmarkStartStop(b *testing.B) {
	needServer(b)
	for _, tc := range []struct {
		name    string
		noCache bool
	}{{"cache", false}, {"nocache", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			opt := Options{Dir: parentDir(b), CacheDir: b.TempDir(), NoCache: tc.noCache}
			if !tc.noCache { // warm the cache
				c, err := Start(ctx, opt)
				if err != nil {
					b.Fatal(err)
				}
				c.Stop(ctx)
			}
			var starts, stops []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				c, err := Start(ctx, opt)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := c.Stop(ctx); err != nil {
					b.Fatal(err)
				}
				starts = append(starts, t1.Sub(t0))
				stops = append(stops, time.Since(t1))
			}
			b.ReportMetric(median(starts), "start-ms")
			b.ReportMetric(median(stops), "stop-ms")
		})
	}
}

func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
