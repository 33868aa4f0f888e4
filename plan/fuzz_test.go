package plan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and every
// problem it reports must point into the file.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed plans in testdata: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("scenarios: &a {s: *a}"))
	f.Add([]byte("a: [\n"))
	f.Add([]byte("scenarios: {s: {profile: stress, rate: 1, steps: 3, request: 'x'}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err == nil {
			if p == nil || len(p.Scenarios) == 0 {
				t.Fatalf("valid plan without scenarios: %+v", p)
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is %T, want non-empty plan.Errors: %v", err, err)
		}
		for _, e := range errs {
			if e.Line <= 0 || e.File != "fuzz.yaml" || e.Msg == "" {
				t.Errorf("error without a position: %+v", *e)
			}
		}
	})
}
