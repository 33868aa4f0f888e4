package feed

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// numbered returns a one-column feeder whose row i holds "i".
func numbered(t *testing.T, name string, n int, strategy string, seed uint64) *Feeder {
	t.Helper()
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{fmt.Sprint(i)}
	}
	f, err := New(name, []string{"id"}, rows, strategy, seed)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ids returns the "id" of rows 0..count-1, stopping at the first error.
func ids(t *testing.T, f *Feeder, count uint64) ([]string, error) {
	t.Helper()
	var out []string
	for n := range count {
		r, err := f.Row(n)
		if err != nil {
			return out, err
		}
		v, ok := r.Get("id")
		if !ok {
			t.Fatalf("row %d has no column id", n)
		}
		out = append(out, v)
	}
	return out, nil
}

func TestStrategies(t *testing.T) {
	tests := []struct {
		strategy  string
		rows      int
		ask       uint64
		want      []string // nil: only check the properties below
		exhausted bool
	}{
		{strategy: "", rows: 3, ask: 7, want: []string{"0", "1", "2", "0", "1", "2", "0"}},
		{strategy: Circular, rows: 3, ask: 4, want: []string{"0", "1", "2", "0"}},
		{strategy: Sequential, rows: 3, ask: 3, want: []string{"0", "1", "2"}},
		{strategy: Sequential, rows: 3, ask: 4, want: []string{"0", "1", "2"}, exhausted: true},
		{strategy: Unique, rows: 50, ask: 50},
		{strategy: Unique, rows: 50, ask: 51, exhausted: true},
		{strategy: Random, rows: 50, ask: 1000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d-of-%d", tt.strategy, tt.ask, tt.rows), func(t *testing.T) {
			f := numbered(t, "users", tt.rows, tt.strategy, 42)
			got, err := ids(t, f, tt.ask)
			if tt.exhausted != errors.Is(err, ErrExhausted) {
				t.Fatalf("error %v, want exhausted=%v", err, tt.exhausted)
			}
			if err != nil && !tt.exhausted {
				t.Fatal(err)
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
			switch f.Strategy() {
			case Unique:
				if len(got) != tt.rows {
					t.Fatalf("got %d rows before exhaustion, want %d", len(got), tt.rows)
				}
				seen := map[string]bool{}
				for _, v := range got {
					if seen[v] {
						t.Fatalf("row %s handed out twice", v)
					}
					seen[v] = true
				}
				if slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(a, b) }) || got[0] == "0" && got[1] == "1" && got[2] == "2" {
					t.Errorf("unique order %v looks unshuffled", got[:10])
				}
			case Random:
				count := map[string]int{}
				for _, v := range got {
					count[v]++
				}
				// 1000 draws over 50 rows: every row drawn, none wildly often.
				if len(count) != tt.rows {
					t.Errorf("random drew %d distinct rows of %d in %d draws", len(count), tt.rows, tt.ask)
				}
				for v, c := range count {
					if c > 60 {
						t.Errorf("row %s drawn %d times of %d (expected about 20)", v, c, tt.ask)
					}
				}
			}
		})
	}
}

func TestExhaustedErrorNamesFeeder(t *testing.T) {
	f := numbered(t, "tokens", 2, Sequential, 1)
	_, err := f.Row(2)
	if !errors.Is(err, ErrExhausted) || !strings.Contains(err.Error(), `"tokens"`) {
		t.Fatalf("error %v, want ErrExhausted naming the feeder", err)
	}
}

// TestDeterminism: the row of iteration n depends on the seed, the name and
// n only — not on the order in which rows are asked for.
func TestDeterminism(t *testing.T) {
	for _, strategy := range []string{Random, Unique} {
		t.Run(strategy, func(t *testing.T) {
			a := numbered(t, "users", 1000, strategy, 7)
			b := numbered(t, "users", 1000, strategy, 7)
			var forward []string
			for n := range uint64(1000) {
				r, _ := a.Row(n)
				v, _ := r.Get("id")
				forward = append(forward, v)
			}
			for n := uint64(1000); n > 0; n-- { // backwards: same rows
				r, _ := b.Row(n - 1)
				if v, _ := r.Get("id"); v != forward[n-1] {
					t.Fatalf("row %d: %s asked backwards, %s forwards", n-1, v, forward[n-1])
				}
			}
			differs := func(other *Feeder) bool {
				for n := range uint64(1000) {
					r, _ := other.Row(n)
					if v, _ := r.Get("id"); v != forward[n] {
						return true
					}
				}
				return false
			}
			if !differs(numbered(t, "users", 1000, strategy, 8)) {
				t.Error("another seed gives the same rows")
			}
			if !differs(numbered(t, "accounts", 1000, strategy, 7)) {
				t.Error("another feeder name gives the same rows")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name     string
		columns  []string
		rows     [][]string
		strategy string
		want     string
	}{
		{"no rows", []string{"a"}, nil, "", "no rows"},
		{"no columns", nil, [][]string{{}}, "", "no columns"},
		{"unnamed column", []string{"a", ""}, [][]string{{"1", "2"}}, "", "column 2 has no name"},
		{"duplicate column", []string{"a", "a"}, [][]string{{"1", "2"}}, "", `column "a" appears twice`},
		{"short row", []string{"a", "b"}, [][]string{{"1", "2"}, {"3"}}, "", "row 2 has 1 values, want 2"},
		{"bad strategy", []string{"a"}, [][]string{{"1"}}, "shuffled", `unknown strategy "shuffled"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("f", tt.columns, tt.rows, tt.strategy, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `feeder "f"`) {
				t.Fatalf("error %v, want one naming the feeder and containing %q", err, tt.want)
			}
		})
	}
}

func TestRow(t *testing.T) {
	f, err := New("users", []string{"name", "token"}, [][]string{{"ann", "t1"}, {"bob", "t2"}}, Sequential, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Row(1)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Get("token"); !ok || v != "t2" {
		t.Errorf("Get(token) = %q, %v; want t2, true", v, ok)
	}
	if _, ok := r.Get("email"); ok {
		t.Error("Get of a missing column reports ok")
	}
	if m := r.Map(); len(m) != 2 || m["name"] != "bob" || m["token"] != "t2" {
		t.Errorf("Map() = %v", m)
	}
	if _, ok := (Row{}).Get("name"); ok {
		t.Error("the zero Row has a column")
	}
	if f.Len() != 2 || f.Name() != "users" || !slices.Equal(f.Columns(), []string{"name", "token"}) {
		t.Errorf("Len %d Name %q Columns %v", f.Len(), f.Name(), f.Columns())
	}
}

func BenchmarkRow(b *testing.B) {
	rows := make([][]string, 10000)
	for i := range rows {
		rows[i] = []string{fmt.Sprint(i), "x"}
	}
	for _, strategy := range []string{Circular, Random, Unique} {
		f, err := New("users", []string{"id", "x"}, rows, strategy, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strategy, func(b *testing.B) {
			b.ReportAllocs()
			for n := range uint64(b.N) {
				r, _ := f.Row(n % 10000)
				if _, ok := r.Get("id"); !ok {
					b.Fatal("no id")
				}
			}
		})
	}
}
