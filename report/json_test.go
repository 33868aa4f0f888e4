package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestWriteJSONGolden(t *testing.T) {
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json.golden", b.Bytes())
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			if want := Summarize(r); !reflect.DeepEqual(got, want) {
				t.Errorf("ReadJSON(WriteJSON(r)) = %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestJSONContent checks the schema's promises on the decoded document,
// independently of the golden files.
func TestJSONContent(t *testing.T) {
	fs := fixtures()
	decode := func(r *Run) map[string]any {
		t.Helper()
		var b bytes.Buffer
		if err := WriteJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	m := decode(fs["generator-bound"])
	if m["schema"] != float64(SchemaVersion) || m["verdict"] != "generator-bound" || m["generator_bound"] != true {
		t.Errorf("schema/verdict/generator_bound = %v/%v/%v", m["schema"], m["verdict"], m["generator_bound"])
	}
	total := m["total"].(map[string]any)
	if total["dropped"] != float64(12) {
		t.Errorf("total dropped = %v, want 12", total["dropped"])
	}
	if total["late"].(float64) == 0 {
		t.Error("total late = 0, want the late hits")
	}
	if m["breakpoint"] != nil {
		t.Errorf("breakpoint = %v, want null", m["breakpoint"])
	}
	var sum float64
	for _, rq := range m["requests"].([]any) {
		rq := rq.(map[string]any)
		if rq["dropped"] != float64(0) {
			t.Errorf("request %v dropped = %v, want 0 (dropped is counted on the total)", rq["name"], rq["dropped"])
		}
		sum += rq["count"].(float64)
	}
	if sum != total["count"] {
		t.Errorf("requests' counts add up to %v, total says %v", sum, total["count"])
	}
	// rps is count over the load phase: 3000 requests in 20s.
	if total["rps"] != 150.0 {
		t.Errorf("total rps = %v, want 150", total["rps"])
	}
	kinds := total["errors_by_kind"].(map[string]any)
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "status,timeout" {
		t.Errorf("errors_by_kind has %v, want only the non-zero kinds status,timeout", names)
	}
	status := total["status"].(map[string]any)
	for _, k := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "none"} {
		if _, ok := status[k]; !ok {
			t.Errorf("status lacks %q", k)
		}
	}
	lat := total["latency"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p95", "p99", "p99_9", "max", "mean", "min"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency lacks %q", k)
		}
	}
	if !(lat["min"].(float64) <= lat["p50"].(float64) && lat["p50"].(float64) <= lat["p99"].(float64) && lat["p99"].(float64) <= lat["max"].(float64)) {
		t.Errorf("latency not ordered: %v", lat)
	}

	// A missing SLO measurement has a null value, however NaN it was.
	m = decode(fs["fail"])
	last := m["slos"].([]any)[3].(map[string]any)
	if last["value"] != nil || last["pass"] != false || last["missing"] == "" {
		t.Errorf("missing SLO = %v, want value null, pass false, a reason", last)
	}
	if m["verdict"] != "fail" {
		t.Errorf("verdict = %v, want fail", m["verdict"])
	}

	m = decode(fs["aborted"])
	if m["verdict"] != "aborted" || m["breakpoint"].(map[string]any)["rate"] != 812.0 {
		t.Errorf("aborted: verdict %v, breakpoint %v", m["verdict"], m["breakpoint"])
	}

	// Lists are [] rather than null, even when empty.
	m = decode(fs["empty"])
	for _, k := range []string{"slos", "scenarios", "phases"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}
}

func TestReadJSONRejects(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"newer schema", `{"schema": 2, "verdict": "pass"}`, "schema version 2 is newer"},
		{"no schema", `{"name": "x", "verdict": "pass"}`, `no "schema" field`},
		{"schema zero", `{"schema": 0, "verdict": "pass"}`, "unknown schema version 0"},
		{"not JSON", `<testsuites/>`, "read summary.json"},
		{"wrong type", `{"schema": 1, "verdict": "pass", "total": {"count": "many"}}`, "schema 1"},
		{"unknown verdict", `{"schema": 1, "verdict": "meh"}`, `unknown verdict "meh"`},
		{"empty", ``, "read summary.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadJSON(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJSON = %v, %v; want an error containing %q", s, err, tt.want)
			}
		})
	}
}

// A field added by a later version of the same schema is ignored.
func TestReadJSONIgnoresNewFields(t *testing.T) {
	s, err := ReadJSON(strings.NewReader(`{"schema": 1, "name": "x", "verdict": "fail", "future": {"a": 1}, "total": {"count": 3, "later": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "x" || s.Verdict != VerdictFail || s.Total.Count != 3 {
		t.Errorf("got %+v", s)
	}
}

func FuzzReadJSON(f *testing.F) {
	// Compact seeds: the fuzzer's mutators slow to a crawl on the
	// indented, many-kilobyte summaries of the bigger fixtures.
	for _, name := range []string{"duplicate-names", "empty"} {
		b, err := json.Marshal(Summarize(fixtures()[name]))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema": 1, "verdict": "pass", "slos": [{"value": null}]}`))
	f.Add([]byte(`{"schema": 99}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ReadJSON(bytes.NewReader(doc))
		if err != nil {
			return
		}
		// Whatever was accepted can be written and read again, and
		// rendered as text.
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("re-encode accepted summary: %v", err)
		}
		if _, err := ReadJSON(bytes.NewReader(b)); err != nil {
			t.Fatalf("re-read accepted summary: %v", err)
		}
		var sb strings.Builder
		writeText(&sb, s, true)
	})
}
