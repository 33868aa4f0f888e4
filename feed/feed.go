// Package feed hands rows of test data to iterations: the rows of a CSV or
// JSON file, of an inline list, or of a query the runner ran against the
// environment's database.
//
// A Feeder's row for iteration n is a pure function of n, the feeder's
// name, its strategy and the run's seed. The same plan and seed therefore
// give every iteration the same row, whatever the concurrency and whichever
// virtual user runs it. The strategies:
//
//   - circular (the default): row n mod Len, wrapping round.
//   - sequential: row n, each row once; iteration Len and later get
//     ErrExhausted.
//   - random: a uniformly drawn row (with replacement), from a PCG seeded by
//     the seed, the feeder's name and n.
//   - unique: each row once, in a seeded random order (a permutation drawn
//     once, when the feeder is built); past the end, ErrExhausted.
package feed

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// Strategies, by the name used in plans.
const (
	Circular   = "circular"
	Sequential = "sequential"
	Random     = "random"
	Unique     = "unique"
)

// ErrExhausted is returned (wrapped) by Row when a sequential or unique
// feeder has handed out every row. Test with errors.Is.
var ErrExhausted = errors.New("feeder exhausted")

// Feeder hands rows to iterations. Row is a pure function of the iteration
// number (and the seed), so the same plan and seed give the same rows
// whatever the concurrency. A Feeder is safe for concurrent use: after New
// it is never modified.
type Feeder struct {
	name     string
	strategy string
	columns  []string
	index    map[string]int // column name → position in a row
	rows     [][]string
	seed     uint64
	nameHash uint64
	perm     []int // unique: the order rows are handed out in
}

// New builds a feeder from rows of values, each in the order of columns.
// An empty strategy means circular. New keeps rows: the caller must not
// modify them afterwards. It is how the runner makes a feeder from the
// result of an SQL query; Open builds the other kinds.
func New(name string, columns []string, rows [][]string, strategy string, seed uint64) (*Feeder, error) {
	if strategy == "" {
		strategy = Circular
	}
	switch strategy {
	case Circular, Sequential, Random, Unique:
	default:
		return nil, fmt.Errorf("feeder %q: unknown strategy %q (want circular, sequential, random or unique)", name, strategy)
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("feeder %q: no columns", name)
	}
	index := make(map[string]int, len(columns))
	for i, c := range columns {
		if c == "" {
			return nil, fmt.Errorf("feeder %q: column %d has no name", name, i+1)
		}
		if _, dup := index[c]; dup {
			return nil, fmt.Errorf("feeder %q: column %q appears twice", name, c)
		}
		index[c] = i
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("feeder %q: no rows", name)
	}
	for i, r := range rows {
		if len(r) != len(columns) {
			return nil, fmt.Errorf("feeder %q: row %d has %d values, want %d (one per column)", name, i+1, len(r), len(columns))
		}
	}
	f := &Feeder{
		name:     name,
		strategy: strategy,
		columns:  columns,
		index:    index,
		rows:     rows,
		seed:     seed,
		nameHash: fnv64a(name),
	}
	if strategy == Unique {
		f.perm = rand.New(rand.NewPCG(seed, f.nameHash)).Perm(len(rows))
	}
	return f, nil
}

// Name is the feeder's name in the plan.
func (f *Feeder) Name() string { return f.name }

// Strategy is how rows are handed out: circular, sequential, random or
// unique.
func (f *Feeder) Strategy() string { return f.strategy }

// Columns are the column names, in the order of the source. The caller
// must not modify the slice.
func (f *Feeder) Columns() []string { return f.columns }

// Len is the number of rows.
func (f *Feeder) Len() int { return len(f.rows) }

// Row is the row for iteration n (from 0). For sequential and unique
// feeders, n ≥ Len gives an error wrapping ErrExhausted.
func (f *Feeder) Row(n uint64) (Row, error) {
	size := uint64(len(f.rows))
	var i uint64
	switch f.strategy {
	case Sequential, Unique:
		if n >= size {
			return Row{}, fmt.Errorf("feeder %q: %w: all %d rows were used (%s)", f.name, ErrExhausted, size, f.strategy)
		}
		i = n
		if f.perm != nil {
			i = uint64(f.perm[n])
		}
	case Random:
		// A PCG per call costs two words on the stack; seeding it from n
		// (mixed, so that neighbouring n give unrelated streams) is what
		// makes the row independent of which goroutine asks first.
		src := rand.NewPCG(f.seed, mix64(f.nameHash^(n*0x9e3779b97f4a7c15)))
		// The high word of x·size is uniform in [0, size) up to a bias of
		// size/2⁶⁴: immaterial for any table that fits in memory.
		i, _ = bits.Mul64(src.Uint64(), size)
	default: // Circular
		i = n % size
	}
	return Row{f: f, values: f.rows[i]}, nil
}

// Row is one row of a feeder. It is a view of the feeder's data, cheap to
// pass by value; the zero Row has no columns.
type Row struct {
	f      *Feeder
	values []string
}

// Get returns the value of column; ok is false when the feeder has no such
// column.
func (r Row) Get(column string) (value string, ok bool) {
	if r.f == nil {
		return "", false
	}
	i, ok := r.f.index[column]
	if !ok {
		return "", false
	}
	return r.values[i], true
}

// Map returns the row as a new map from column to value.
func (r Row) Map() map[string]string {
	if r.f == nil {
		return nil
	}
	m := make(map[string]string, len(r.values))
	for i, c := range r.f.columns {
		m[c] = r.values[i]
	}
	return m
}

// fnv64a is the FNV-1a hash of s: a stable way to give every feeder its
// own random stream from one seed.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix64 is SplitMix64's finaliser: it spreads every input bit over the
// output, so that consecutive inputs seed unrelated generators.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
