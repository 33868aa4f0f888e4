package feed

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mayfly-perf/mayfly/plan"
)

// Open builds the feeder a plan describes from its CSV file, JSON file or
// inline values. Relative paths are relative to dir (the plan's directory).
// SQL feeders are not handled here: the runner runs their query once the
// environment is populated and calls New with the result.
//
// A CSV file's first record names the columns; every record must have as
// many fields. A JSON file is an array of objects, which all have the same
// keys (the columns), or of scalars, which become the column "value".
// Numbers keep their JSON spelling, true and false are spelled so, null is
// the empty string, and a nested array or object is its compact JSON text.
func Open(f *plan.Feeder, dir string, seed uint64) (*Feeder, error) {
	var (
		columns []string
		rows    [][]string
		err     error
	)
	switch {
	case f.SQL != "":
		return nil, fmt.Errorf("feeder %q: an SQL feeder is loaded by the runner (after populate), not by feed.Open", f.Name)
	case f.CSV != "":
		path := resolve(dir, f.CSV)
		columns, rows, err = readFile(path, readCSV)
		if err != nil {
			return nil, fmt.Errorf("feeder %q: %w", f.Name, err)
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("feeder %q: %s: no rows after the header", f.Name, path)
		}
	case f.JSON != "":
		path := resolve(dir, f.JSON)
		columns, rows, err = readFile(path, readJSON)
		if err != nil {
			return nil, fmt.Errorf("feeder %q: %w", f.Name, err)
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("feeder %q: %s: the array is empty", f.Name, path)
		}
	case f.Values != nil:
		columns, rows, err = fromValues(f.Values)
		if err != nil {
			return nil, fmt.Errorf("feeder %q: %w", f.Name, err)
		}
	default:
		return nil, fmt.Errorf("feeder %q: no source (want csv, json, values or sql)", f.Name)
	}
	return New(f.Name, columns, rows, f.Strategy, seed)
}

func resolve(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// readFile reads a whole file and parses it with parse; errors name the
// file (parse's errors carry the line where they have one).
func readFile(path string, parse func([]byte) ([]string, [][]string, error)) ([]string, [][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read rows: %w", err)
	}
	columns, rows, err := parse(data)
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, nil, fmt.Errorf("%s:%w", path, err) // path:line:col: msg
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return columns, rows, nil
}

// lineError is a parse error at a line (and column, when known) of a file;
// it prints as "line:col: msg" so that readFile's "path:" prefix makes the
// usual file:line:col form.
type lineError struct {
	line, col int
	err       error
}

func (e *lineError) Error() string {
	if e.col > 0 {
		return fmt.Sprintf("%d:%d: %v", e.line, e.col, e.err)
	}
	return fmt.Sprintf("%d: %v", e.line, e.err)
}

func (e *lineError) Unwrap() error { return e.err }

// readCSV parses CSV with a header record. A UTF-8 byte-order mark (as
// spreadsheets write) is ignored and column names are trimmed of spaces.
func readCSV(data []byte) ([]string, [][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, &lineError{line: 1, err: errors.New("empty file: want a header line naming the columns")}
	}
	if err != nil {
		return nil, nil, csvError(err, 0)
	}
	columns := make([]string, len(header))
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, nil, &lineError{line: 1, err: fmt.Errorf("column %d of the header has no name", i+1)}
		}
		if seen[h] {
			return nil, nil, &lineError{line: 1, err: fmt.Errorf("column %q appears twice in the header", h)}
		}
		seen[h] = true
		columns[i] = h
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return columns, rows, nil
		}
		if err != nil {
			return nil, nil, csvError(err, len(rec))
		}
		rows = append(rows, rec)
	}
}

// csvError turns encoding/csv's error into a lineError; fields is the
// length of the offending record (for a wrong field count).
func csvError(err error, fields int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		// The reader wants as many fields as the header has.
		return &lineError{line: pe.StartLine, err: fmt.Errorf("record has %d fields, the header has a different number: %w", fields, pe.Err)}
	}
	return &lineError{line: pe.Line, col: pe.Column, err: pe.Err}
}

// readJSON parses an array of objects or of scalars.
func readJSON(data []byte) ([]string, [][]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers keep their spelling: 007 is not 7, 1e3 is not 1000
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(data, int(dec.InputOffset()))
		return nil, nil, &lineError{line: line, col: col, err: errors.New("unexpected data after the array")}
	}
	elems, ok := top.([]any)
	if !ok {
		return nil, nil, &lineError{line: 1, err: fmt.Errorf("want an array of objects or of scalars, got %s", jsonKind(top))}
	}
	if len(elems) == 0 {
		return nil, nil, nil
	}
	if _, objects := elems[0].(map[string]any); !objects {
		rows := make([][]string, len(elems))
		for i, e := range elems {
			if _, obj := e.(map[string]any); obj {
				return nil, nil, fmt.Errorf("element [%d] is an object, but element [0] is a scalar: want all objects or all scalars", i)
			}
			v, err := jsonText(e)
			if err != nil {
				return nil, nil, fmt.Errorf("element [%d]: %w", i, err)
			}
			rows[i] = []string{v}
		}
		return []string{"value"}, rows, nil
	}
	first := elems[0].(map[string]any)
	columns := make([]string, 0, len(first))
	for k := range first {
		if k == "" {
			return nil, nil, errors.New(`element [0] has the key "": a column needs a name`)
		}
		columns = append(columns, k)
	}
	slices.Sort(columns) // JSON objects are unordered; sorting makes the order stable
	if len(columns) == 0 {
		return nil, nil, errors.New("element [0] is an empty object: want at least one key (a column)")
	}
	rows := make([][]string, len(elems))
	for i, e := range elems {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("element [%d] is %s, but element [0] is an object: want all objects or all scalars", i, jsonKind(e))
		}
		if len(obj) != len(columns) {
			return nil, nil, fmt.Errorf("element [%d] has keys %s, element [0] has %s: every object must have the same keys", i, keys(obj), strings.Join(columns, ","))
		}
		row := make([]string, len(columns))
		for j, c := range columns {
			v, ok := obj[c]
			if !ok {
				return nil, nil, fmt.Errorf("element [%d] has no key %q (element [0] has it): every object must have the same keys", i, c)
			}
			s, err := jsonText(v)
			if err != nil {
				return nil, nil, fmt.Errorf("element [%d] key %q: %w", i, c, err)
			}
			row[j] = s
		}
		rows[i] = row
	}
	return columns, rows, nil
}

// jsonText is the value of a feeder cell for a decoded JSON value.
func jsonText(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	default: // a nested array or object
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("encode nested value: %w", err)
		}
		return string(b), nil
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func keys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

// jsonError gives a JSON decoding error the line and column it happened at.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the offending one included.
		line, col := position(data, int(syn.Offset)-1)
		return &lineError{line: line, col: col, err: err}
	case errors.As(err, &typ):
		line, col := position(data, int(typ.Offset))
		return &lineError{line: line, col: col, err: err}
	case errors.Is(err, io.EOF):
		return &lineError{line: 1, err: errors.New("empty file: want a JSON array")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, len(data))
		return &lineError{line: line, col: col, err: errors.New("unexpected end of file")}
	}
	return &lineError{line: 1, err: err}
}

// position converts a byte offset into a 1-based line and column (in
// bytes).
func position(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = offset - bytes.LastIndexByte(before, '\n')
	return line, col
}

// fromValues turns a plan's inline values into columns and rows. Every
// entry must have the same keys.
func fromValues(values []map[string]string) ([]string, [][]string, error) {
	if len(values) == 0 {
		return nil, nil, errors.New("values: the list is empty")
	}
	columns := make([]string, 0, len(values[0]))
	for k := range values[0] {
		columns = append(columns, k)
	}
	slices.Sort(columns)
	rows := make([][]string, len(values))
	for i, m := range values {
		if len(m) != len(columns) {
			return nil, nil, fmt.Errorf("values[%d] has %d keys, values[0] has %d: every entry must have the same keys", i, len(m), len(columns))
		}
		row := make([]string, len(columns))
		for j, c := range columns {
			v, ok := m[c]
			if !ok {
				return nil, nil, fmt.Errorf("values[%d] has no key %q (values[0] has it): every entry must have the same keys", i, c)
			}
			row[j] = v
		}
		rows[i] = row
	}
	return columns, rows, nil
}
