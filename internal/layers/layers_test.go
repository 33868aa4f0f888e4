// Package layers holds the test that keeps the rooms of DESIGN.md §2 in
// order: a package may import only packages below it in the list.
package layers

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/mayfly-perf/mayfly"

// rooms lists the packages from the top (imports the most) to the bottom
// (imports nothing of this repository). Packages on one line may not
// import each other. A name ending in "/" names every package below it;
// any other name is one package.
var rooms = [][]string{
	{"cmd/"},
	{"internal/runner"},
	{"internal/env"},
	{"internal/env/migrate", "internal/env/service", "internal/env/balancer"},
	{"internal/env/postgres"},
	{"internal/probe"},
	{"internal/dashboard"},
	{"report"},
	{"request/script"},
	{"feed"},
	{"plan"},
	{"request"},
	{"slo"},
	{"load"},
	{"hist", "suggest"},
	{"internal/target", "internal/ticketing", "internal/coaching", "internal/layers"},
}

func rank(pkg string) int {
	for i, room := range rooms {
		for _, p := range room {
			if pkg == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p)) {
				return i
			}
		}
	}
	return -1
}

func TestImportsPointDown(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if pkg == "." || strings.HasPrefix(pkg, "bench") {
			return nil
		}
		from := rank(pkg)
		if from < 0 {
			t.Errorf("%s: package %s is in no room of DESIGN.md §2: add it to rooms", path, pkg)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(ip, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(ip, module+"/")
			if dep == pkg {
				continue // an external test package importing its own package
			}
			to := rank(dep)
			if to <= from {
				t.Errorf("%s: %s imports %s, which is not below it (rooms %d → %d)", path, pkg, dep, from, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
