// Package migrate applies a folder of versioned SQL migrations to one of
// Mayfly's ephemeral PostgreSQL databases.
//
// Files are named like goose's versioned migrations: a positive number, an
// underscore and a name, ending in .sql (001_create_tickets.sql,
// 00002_add_index.sql). They are applied in version order, each in its own
// transaction, and recorded in the history table mayfly_migrations, so a
// second Up applies only what is new. The work is done by
// github.com/pressly/goose/v3; this package adds what Mayfly needs on top:
//
//   - Plain (Flyway-style) files without goose annotations work: a file with
//     no "-- +goose" line is taken as a whole as its Up migration. Such a
//     file is split into statements at semicolons that end a line, so a
//     statement with a semicolon-terminated line inside it (a function
//     body, a DO block) needs goose's "-- +goose StatementBegin" /
//     "-- +goose StatementEnd" annotations, and then "-- +goose Up" too.
//   - A .sql file whose name is not versioned is an error rather than
//     silently skipped, since a typo would otherwise drop a migration.
//   - A failure names the file, the statement and PostgreSQL's message.
package migrate

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
)

// HistoryTable is the table recording applied migrations.
const HistoryTable = "mayfly_migrations"

// maxStatement bounds the statement quoted in an error: enough to
// recognise it, short enough to keep the error on a screen.
const maxStatement = 200

// Result describes one applied migration.
type Result struct {
	File     string // base name, e.g. "001_create_tickets.sql"
	Version  int64
	Duration time.Duration
}

// Up applies the pending migrations in dir to the database at databaseURL,
// in version order, and returns what it applied (nothing when the database
// is up to date). When a migration fails, the ones before it stay applied,
// the failing one is rolled back, and the error names the file, the
// statement and PostgreSQL's message, e.g.
//
//	migrate: 002_add_index.sql: statement "CREATE INDEX i ON nosuch(x);": ERROR: relation "nosuch" does not exist (SQLSTATE 42P01)
//
// The *pgconn.PgError stays reachable with errors.As.
func Up(ctx context.Context, databaseURL, dir string) ([]Result, error) {
	fsys, err := load(dir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("migrate: open database: %w", err)
	}
	defer db.Close()
	// Connect before goose does so a bad URL or a down server is reported
	// as such, not as a failure of some goose step.
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("migrate: connect to database: %w", err)
	}

	// goose does not put the statement into its error, but it logs each
	// statement before executing it; the last one logged is the one that
	// failed.
	last := &lastStatement{}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(HistoryTable),
		// Go migrations registered in goose's global registry by some
		// other package must not end up in Mayfly's databases.
		goose.WithDisableGlobalRegistry(true),
		goose.WithVerbose(true),
		goose.WithSlog(slog.New(last)),
	)
	if err != nil {
		return nil, fmt.Errorf("migrate: %s: %w", dir, err)
	}
	applied, err := p.Up(ctx)
	if err != nil {
		var perr *goose.PartialError
		if errors.As(err, &perr) {
			return results(perr.Applied), stepError(perr, last.get())
		}
		return nil, fmt.Errorf("migrate: %s: %w", dir, err)
	}
	return results(applied), nil
}

// load reads the migrations in dir into memory, checks their names, and
// gives files without goose annotations the "-- +goose Up" goose requires.
// Only *.sql files are migrations; other files (a README) are ignored, as
// are subdirectories, which goose does not descend into either.
func load(dir string) (fs.FS, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: read migrations dir: %w", err)
	}
	// An overlay in memory rather than rewritten files on disk: the
	// migrations dir may be read-only, and is the user's. fstest.MapFS is
	// the standard library's complete in-memory fs.FS.
	fsys := fstest.MapFS{}
	versions := map[int64]string{}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.EqualFold(filepath.Ext(name), ".sql") {
			continue
		}
		if filepath.Ext(name) != ".sql" {
			return nil, fmt.Errorf("migrate: %s: migration file names end in lower-case .sql", filepath.Join(dir, name))
		}
		v, err := goose.NumericComponent(name)
		if err != nil {
			return nil, fmt.Errorf("migrate: %s: not a versioned migration name (want e.g. 001_create_tickets.sql): %w", filepath.Join(dir, name), err)
		}
		if other, ok := versions[v]; ok {
			return nil, fmt.Errorf("migrate: %s and %s: both have version %d", other, name, v)
		}
		versions[v] = name
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrate: read migration: %w", err)
		}
		if !annotated(data) {
			data = append([]byte("-- +goose Up\n"), data...)
		}
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	if len(fsys) == 0 {
		return nil, fmt.Errorf("migrate: no migrations (*.sql files) in %s", dir)
	}
	return fsys, nil
}

// annotated reports whether data has a goose annotation, by goose's own
// rule: a line that starts with "--" and contains "+goose".
func annotated(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1) // a line may be as long as the file
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "--") && strings.Contains(line, "+goose") {
			return true
		}
	}
	return false
}

func results(rs []*goose.MigrationResult) []Result {
	out := make([]Result, 0, len(rs))
	for _, r := range rs {
		out = append(out, Result{
			File:     filepath.Base(r.Source.Path),
			Version:  r.Source.Version,
			Duration: r.Duration,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// stepError describes the failed migration: the file, and when a
// statement failed, the statement and PostgreSQL's error.
func stepError(perr *goose.PartialError, last statement) error {
	file := filepath.Base(perr.Failed.Source.Path)
	// goose returns a statement's error as the driver gave it (joined with
	// a rollback error, if any, after it) but wraps its own steps' errors,
	// such as recording the version; only the former is the statement's
	// fault. The source check keeps a statement of an earlier file from
	// being blamed when this one failed before running any.
	var pgErr *pgconn.PgError
	if last.source == file && errors.As(perr.Err, &pgErr) && strings.HasPrefix(perr.Err.Error(), pgErr.Error()) {
		return fmt.Errorf("migrate: %s: statement %q: %w", file, shorten(last.sql), pgErr)
	}
	return fmt.Errorf("migrate: %s: %w", file, perr.Err)
}

// shorten puts stmt on one line and cuts it to maxStatement characters.
func shorten(stmt string) string {
	s := strings.Join(strings.Fields(stmt), " ")
	if r := []rune(s); len(r) > maxStatement {
		s = string(r[:maxStatement-3]) + "..."
	}
	return s
}

// statement is a statement goose executed and the base name of its file.
type statement struct{ source, sql string }

// lastStatement is a slog.Handler that remembers the statement of the most
// recent "executing statement" record goose logs, and drops everything
// else (Mayfly reports progress itself, from the Results).
type lastStatement struct {
	mu   sync.Mutex
	stmt statement
}

func (h *lastStatement) get() statement {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stmt
}

func (h *lastStatement) Enabled(context.Context, slog.Level) bool { return true }

func (h *lastStatement) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "executing statement" {
		return nil
	}
	var st statement
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "statement":
			st.sql = a.Value.String()
		case "source":
			st.source = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	h.stmt = st
	h.mu.Unlock()
	return nil
}

func (h *lastStatement) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lastStatement) WithGroup(string) slog.Handler      { return h }
