package migrate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mayfly-perf/mayfly/internal/env/postgres"
)

// cluster is shared by all tests (starting one takes about a second);
// each test gets its own database in it. nil when no PostgreSQL server
// binaries are installed.
var cluster *postgres.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if !haveServer() {
		return m.Run() // the tests skip
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := postgres.Start(ctx, postgres.Options{Extensions: []string{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start postgres:", err)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "stop postgres:", err)
		}
	}()
	cluster = c
	return m.Run()
}

// haveServer mirrors where the postgres package looks for initdb.
func haveServer() bool {
	if _, err := exec.LookPath("initdb"); err == nil {
		return true
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

var dbSeq atomic.Int64

// newDB creates a fresh database and returns its URL.
func newDB(t *testing.T) string {
	t.Helper()
	if cluster == nil {
		t.Skip("no PostgreSQL server binaries (apt-get install postgresql)")
	}
	name := fmt.Sprintf("migrate_%d", dbSeq.Add(1))
	if err := cluster.CreateDatabase(t.Context(), name, ""); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// writeDir writes files (name → content) into a new temp dir.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// tableExists reports whether public.name exists.
func tableExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", "public."+name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// history returns the versions recorded in mayfly_migrations, in order
// (goose also records a version 0 row when it creates the table).
func history(t *testing.T, conn *pgx.Conn) []int64 {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT version_id FROM "+HistoryTable+" WHERE version_id > 0 AND is_applied ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func files(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.File)
	}
	return out
}

func TestUpAppliesInOrderOnce(t *testing.T) {
	dbURL := newDB(t)
	dir := writeDir(t, map[string]string{
		// The second depends on the first, so the order is checked too.
		"001_create_tickets.sql": "-- +goose Up\nCREATE TABLE tickets (id int PRIMARY KEY, title text);\n\n-- +goose Down\nDROP TABLE tickets;\n",
		"00002_add_index.sql":    "-- +goose Up\nCREATE INDEX tickets_title ON tickets (title);\n",
		"README.md":              "not a migration",
	})
	ctx := t.Context()

	got, err := Up(ctx, dbURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"001_create_tickets.sql", "00002_add_index.sql"}; !reflect.DeepEqual(files(got), want) {
		t.Fatalf("applied %v, want %v", files(got), want)
	}
	if got[0].Version != 1 || got[1].Version != 2 || got[0].Duration <= 0 {
		t.Errorf("results %+v: want versions 1, 2 and durations", got)
	}
	conn := connect(t, dbURL)
	if h := history(t, conn); !reflect.DeepEqual(h, []int64{1, 2}) {
		t.Errorf("%s has versions %v, want [1 2]", HistoryTable, h)
	}

	// Up to date: a second run applies nothing.
	again, err := Up(ctx, dbURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second Up applied %v, want nothing", files(again))
	}

	// A new file is applied alone.
	if err := os.WriteFile(filepath.Join(dir, "003_more.sql"), []byte("ALTER TABLE tickets ADD COLUMN n int;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	more, err := Up(ctx, dbURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"003_more.sql"}; !reflect.DeepEqual(files(more), want) {
		t.Errorf("third Up applied %v, want %v", files(more), want)
	}
	if h := history(t, conn); !reflect.DeepEqual(h, []int64{1, 2, 3}) {
		t.Errorf("%s has versions %v, want [1 2 3]", HistoryTable, h)
	}
}

func TestUpPlainFile(t *testing.T) {
	dbURL := newDB(t)
	dir := writeDir(t, map[string]string{
		"001_plain.sql": `-- Flyway-style: no goose annotations.
CREATE TABLE a (id int);
CREATE TABLE b (
    id int,
    note text DEFAULT 'x;y'
);
INSERT INTO a VALUES (1), (2);
`,
	})
	if _, err := Up(t.Context(), dbURL, dir); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dbURL)
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM a").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || !tableExists(t, conn, "b") {
		t.Errorf("a has %d rows (want 2), b exists: %v", n, tableExists(t, conn, "b"))
	}
}

func TestUpFailingFile(t *testing.T) {
	dbURL := newDB(t)
	dir := writeDir(t, map[string]string{
		"001_create_tickets.sql": "CREATE TABLE tickets (id int);\n",
		// The first statement succeeds and must be rolled back with the
		// file.
		"002_add_index.sql": "CREATE TABLE partial (id int);\nINSERT INTO tickets VALUES (1);\nCREATE INDEX nosuch_x ON nosuch(x);\n",
		"003_never.sql":     "CREATE TABLE never (id int);\n",
	})
	got, err := Up(t.Context(), dbURL, dir)
	if err == nil {
		t.Fatal("Up succeeded, want an error")
	}
	want := `migrate: 002_add_index.sql: statement "CREATE INDEX nosuch_x ON nosuch(x);": ERROR: relation "nosuch" does not exist (SQLSTATE 42P01)`
	if err.Error() != want {
		t.Errorf("error\n %s\nwant\n %s", err, want)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Errorf("error %v does not wrap the PgError 42P01", err)
	}
	if want := []string{"001_create_tickets.sql"}; !reflect.DeepEqual(files(got), want) {
		t.Errorf("applied %v, want %v", files(got), want)
	}
	conn := connect(t, dbURL)
	if !tableExists(t, conn, "tickets") {
		t.Error("tickets (from the applied first file) is missing")
	}
	for _, tbl := range []string{"partial", "never"} {
		if tableExists(t, conn, tbl) {
			t.Errorf("table %s exists; the failed file was not rolled back or a later one ran", tbl)
		}
	}
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("tickets has %d rows; the failed file's INSERT was not rolled back", n)
	}
	if h := history(t, conn); !reflect.DeepEqual(h, []int64{1}) {
		t.Errorf("%s has versions %v, want [1]", HistoryTable, h)
	}
}

func TestShorten(t *testing.T) {
	long := "SELECT " + strings.Repeat("x, ", 100) + "1;"
	got := shorten(long)
	if len(got) != maxStatement || !strings.HasSuffix(got, "...") {
		t.Errorf("shorten(long) = %q (%d chars), want %d chars ending in ...", got, len(got), maxStatement)
	}
	if got := shorten("CREATE TABLE t (\n\tid int\n);"); got != "CREATE TABLE t ( id int );" {
		t.Errorf("shorten did not put the statement on one line: %q", got)
	}
}

// TestUpBadDir covers the errors found before connecting, so it needs no
// server: the URL points nowhere.
func TestUpBadDir(t *testing.T) {
	const nowhere = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	missing := filepath.Join(t.TempDir(), "nosuchdir")
	tests := []struct {
		name    string
		dir     string
		wantErr []string // substrings
	}{
		{"missing dir", missing, []string{"migrate: ", missing, "no such file"}},
		{"empty dir", t.TempDir(), []string{"no migrations"}},
		{"only other files", writeDir(t, map[string]string{"README.md": "x"}), []string{"no migrations"}},
		{"typo in name", writeDir(t, map[string]string{
			"001_ok.sql":   "SELECT 1;",
			"002-typo.sql": "SELECT 1;",
		}), []string{"002-typo.sql", "not a versioned migration name"}},
		{"no version", writeDir(t, map[string]string{"create_tickets.sql": "SELECT 1;"}), []string{"create_tickets.sql", "not a versioned"}},
		{"upper-case extension", writeDir(t, map[string]string{"001_a.SQL": "SELECT 1;"}), []string{"001_a.SQL", "lower-case .sql"}},
		{"duplicate version", writeDir(t, map[string]string{
			"1_a.sql":   "SELECT 1;",
			"001_b.sql": "SELECT 1;",
		}), []string{"1_a.sql", "001_b.sql", "version 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Up(t.Context(), nowhere, tt.dir)
			if err == nil {
				t.Fatalf("Up applied %v, want an error", got)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}
