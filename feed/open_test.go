package feed

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mayfly-perf/mayfly/plan"
)

// write makes a file named name holding text in a temporary directory and
// returns the directory.
func write(t *testing.T, name, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// all returns every row of f as maps, in source order.
func all(t *testing.T, f *Feeder) []map[string]string {
	t.Helper()
	var out []map[string]string
	for n := range uint64(f.Len()) {
		r, err := f.Row(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Map())
	}
	return out
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name    string
		file    string // name of the file holding text
		text    string
		feeder  plan.Feeder // CSV/JSON set to file
		columns []string
		rows    []map[string]string
	}{
		{
			name: "csv", file: "users.csv", text: "name,token\nann,t1\n\"bob, jr\",\"say \"\"hi\"\"\"\n",
			feeder: plan.Feeder{CSV: "users.csv"}, columns: []string{"name", "token"},
			rows: []map[string]string{{"name": "ann", "token": "t1"}, {"name": "bob, jr", "token": `say "hi"`}},
		},
		{
			name: "csv with BOM, CRLF, spaces in header, blank line", file: "u.csv", text: "\uFEFFid , name\r\n1,a\r\n\r\n2,b\r\n",
			feeder: plan.Feeder{CSV: "u.csv"}, columns: []string{"id", "name"},
			rows: []map[string]string{{"id": "1", "name": "a"}, {"id": "2", "name": "b"}},
		},
		{
			name: "csv multi-line field", file: "t.csv", text: "text\n\"line 1\nline 2\"\n",
			feeder: plan.Feeder{CSV: "t.csv"}, columns: []string{"text"},
			rows: []map[string]string{{"text": "line 1\nline 2"}},
		},
		{
			name: "json objects", file: "u.json",
			text:   `[{"name": "ann", "id": 7.0, "admin": true, "tags": ["a", 1], "boss": null, "n": 1.50e3}, {"name": "bob", "id": 8, "admin": false, "tags": {}, "boss": "ann", "n": -1}]`,
			feeder: plan.Feeder{JSON: "u.json"}, columns: []string{"admin", "boss", "id", "n", "name", "tags"},
			rows: []map[string]string{
				{"name": "ann", "id": "7.0", "admin": "true", "tags": `["a",1]`, "boss": "", "n": "1.50e3"},
				{"name": "bob", "id": "8", "admin": "false", "tags": "{}", "boss": "ann", "n": "-1"},
			},
		},
		{
			name: "json scalars", file: "v.json", text: "[\"a\", 2, 2.50, true, null]",
			feeder: plan.Feeder{JSON: "v.json"}, columns: []string{"value"},
			rows: []map[string]string{{"value": "a"}, {"value": "2"}, {"value": "2.50"}, {"value": "true"}, {"value": ""}},
		},
		{
			name:   "inline values",
			feeder: plan.Feeder{Values: []map[string]string{{"b": "1", "a": "x"}, {"a": "y", "b": "2"}}}, columns: []string{"a", "b"},
			rows: []map[string]string{{"a": "x", "b": "1"}, {"a": "y", "b": "2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := ""
			if tt.file != "" {
				dir = write(t, tt.file, tt.text)
			}
			pf := tt.feeder
			pf.Name, pf.Strategy = "f", Sequential
			f, err := Open(&pf, dir, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Columns(), tt.columns) {
				t.Errorf("columns %q, want %q", f.Columns(), tt.columns)
			}
			if got := all(t, f); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows\n got %q\nwant %q", got, tt.rows)
			}
		})
	}
}

func TestOpenAbsolutePath(t *testing.T) {
	dir := write(t, "a.csv", "x\n1\n")
	f, err := Open(&plan.Feeder{Name: "f", CSV: filepath.Join(dir, "a.csv")}, "/elsewhere", 1)
	if err != nil || f.Len() != 1 || f.Strategy() != Circular {
		t.Fatalf("Open: %v (len %d)", err, f.Len())
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		text   string
		feeder plan.Feeder
		want   []string // all must occur in the error, after the directory is replaced by DIR
	}{
		{name: "csv missing", feeder: plan.Feeder{CSV: "nope.csv"}, want: []string{`feeder "f"`, "DIR/nope.csv", "no such file"}},
		{name: "csv empty", file: "e.csv", feeder: plan.Feeder{CSV: "e.csv"}, want: []string{"DIR/e.csv:1: empty file"}},
		{name: "csv header only", file: "h.csv", text: "a,b\n", feeder: plan.Feeder{CSV: "h.csv"}, want: []string{"DIR/h.csv: no rows after the header"}},
		{name: "csv field count", file: "c.csv", text: "a,b\n1,2\n3\n", feeder: plan.Feeder{CSV: "c.csv"}, want: []string{"DIR/c.csv:3: record has 1 fields", "wrong number of fields"}},
		{name: "csv bad quote", file: "q.csv", text: "a\n1\nx\"y\n", feeder: plan.Feeder{CSV: "q.csv"}, want: []string{"DIR/q.csv:3:2:", `bare " in non-quoted-field`}},
		{name: "csv unclosed quote", file: "u.csv", text: "a\n\"open\n", feeder: plan.Feeder{CSV: "u.csv"}, want: []string{"DIR/u.csv:", `extraneous or missing " in quoted-field`}},
		{name: "csv empty column name", file: "n.csv", text: "a,,c\n1,2,3\n", feeder: plan.Feeder{CSV: "n.csv"}, want: []string{"DIR/n.csv:1: column 2 of the header has no name"}},
		{name: "csv duplicate column", file: "d.csv", text: "a,a\n1,2\n", feeder: plan.Feeder{CSV: "d.csv"}, want: []string{`DIR/d.csv:1: column "a" appears twice`}},
		{name: "json empty array", file: "e.json", text: "[]", feeder: plan.Feeder{JSON: "e.json"}, want: []string{"DIR/e.json: the array is empty"}},
		{name: "json empty file", file: "z.json", text: "", feeder: plan.Feeder{JSON: "z.json"}, want: []string{"DIR/z.json:1: empty file"}},
		{name: "json syntax", file: "s.json", text: "[\n {\"a\": 1},\n {\"a\" 2}\n]", feeder: plan.Feeder{JSON: "s.json"}, want: []string{"DIR/s.json:3:7:", "invalid character"}},
		{name: "json truncated", file: "t.json", text: "[{\"a\": 1}", feeder: plan.Feeder{JSON: "t.json"}, want: []string{"DIR/t.json:1:", "unexpected end"}},
		{name: "json object", file: "o.json", text: `{"a": 1}`, feeder: plan.Feeder{JSON: "o.json"}, want: []string{"want an array of objects or of scalars, got an object"}},
		{name: "json trailing", file: "r.json", text: `[1] [2]`, feeder: plan.Feeder{JSON: "r.json"}, want: []string{"DIR/r.json:1:", "unexpected data after the array"}},
		{name: "json mixed", file: "m.json", text: `[{"a": 1}, 2]`, feeder: plan.Feeder{JSON: "m.json"}, want: []string{"element [1] is a number"}},
		{name: "json mixed scalars first", file: "m.json", text: `[1, {"a": 1}]`, feeder: plan.Feeder{JSON: "m.json"}, want: []string{"element [1] is an object"}},
		{name: "json missing key", file: "k.json", text: `[{"a": 1, "b": 2}, {"a": 1, "c": 2}]`, feeder: plan.Feeder{JSON: "k.json"}, want: []string{`element [1] has no key "b"`}},
		{name: "json extra key", file: "k.json", text: `[{"a": 1}, {"a": 1, "c": 2}]`, feeder: plan.Feeder{JSON: "k.json"}, want: []string{"element [1] has keys a,c, element [0] has a"}},
		{name: "json empty object", file: "k.json", text: `[{}]`, feeder: plan.Feeder{JSON: "k.json"}, want: []string{"element [0] is an empty object"}},
		{name: "values empty", feeder: plan.Feeder{Values: []map[string]string{}}, want: []string{"values: the list is empty"}},
		{name: "values keys differ", feeder: plan.Feeder{Values: []map[string]string{{"a": "1"}, {"b": "2"}}}, want: []string{`values[1] has no key "a"`}},
		{name: "sql", feeder: plan.Feeder{SQL: "select 1"}, want: []string{"loaded by the runner"}},
		{name: "no source", feeder: plan.Feeder{}, want: []string{"no source"}},
		{name: "bad strategy", feeder: plan.Feeder{Values: []map[string]string{{"a": "1"}}, Strategy: "lifo"}, want: []string{`unknown strategy "lifo"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				dir = write(t, tt.file, tt.text)
			}
			pf := tt.feeder
			pf.Name = "f"
			_, err := Open(&pf, dir, 1)
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), dir, "DIR")
			for _, w := range append(tt.want, `feeder "f"`) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestOpenTickets reads the shared data set the reference service's
// feeders use.
func TestOpenTickets(t *testing.T) {
	const path = "/work/shared/data/it-tickets.csv"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the shared data file %s is not here (%v): skipping", path, err)
	}
	f, err := Open(&plan.Feeder{Name: "texts", CSV: path, Strategy: Unique}, "", 42)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() < 1000 || !reflect.DeepEqual(f.Columns(), []string{"Document", "Topic_group"}) {
		t.Fatalf("%d rows, columns %q; want thousands of Document, Topic_group", f.Len(), f.Columns())
	}
	seen := map[string]bool{}
	for n := range uint64(f.Len()) {
		r, err := f.Row(n)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := r.Get("Document")
		topic, _ := r.Get("Topic_group")
		if topic == "" {
			t.Fatalf("row %d has no topic", n)
		}
		seen[doc+"\x00"+topic] = true
	}
	if _, err := f.Row(uint64(f.Len())); err == nil {
		t.Error("a unique feeder gave a row past its end")
	}
	if len(seen) < f.Len()*9/10 {
		t.Errorf("only %d distinct rows of %d handed out", len(seen), f.Len())
	}
}

// FuzzCSV: no input makes CSV parsing panic, and what parses builds a
// feeder (or says why not).
func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\uFEFFa\n\"x\"\"y\"\n", "a\n\"open", "a,b\n1\n", ",\n", "a,a\n1,1\n", "", "\n\n", "a\r\n1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		columns, rows, err := readCSV(data)
		if err != nil {
			if !strings.Contains(err.Error(), ":") && !strings.Contains(err.Error(), " ") {
				t.Fatalf("unhelpful error %q", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		fd, err := New("f", columns, rows, Random, 1)
		if err != nil {
			t.Fatalf("readCSV gave columns %q and %d rows that New rejects: %v", columns, len(rows), err)
		}
		if _, err := fd.Row(12345); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzJSON: no input makes JSON parsing panic.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`[{"a": 1}]`, `["x", 1, null]`, `[{"a": {"b": [1]}}]`, `{}`, `[`, `[1] x`, `[{"a":1},{"b":2}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		columns, rows, err := readJSON(data)
		if err != nil || len(rows) == 0 {
			return
		}
		if _, err := New("f", columns, rows, Circular, 1); err != nil {
			t.Fatalf("readJSON gave columns %q and %d rows that New rejects: %v", columns, len(rows), err)
		}
	})
}
