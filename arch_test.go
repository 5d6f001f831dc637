package mien_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mienhq/mien"

// stages are the pipeline packages that must not import one another: the
// Engine composes them.
var stages = []string{"imageio", "detect", "align", "embed", "landmark", "quality", "liveness", "mesh", "driver", "effects", "cluster", "index", "video"}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T, env ...string) map[string]pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

func stageOf(rel string) string {
	for _, s := range stages {
		if rel == s || strings.HasPrefix(rel, s+"/") {
			return s
		}
	}
	return ""
}

// TestDependencyDirection holds the layout of CONVENTIONS.md true: stages do
// not import each other, face and api import only the standard library, and
// library packages never import internal/config.
func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)
	for rel, p := range pkgs {
		from := stageOf(rel)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				if (rel == "face" || rel == "api") && strings.Contains(strings.Split(imp, "/")[0], ".") {
					t.Errorf("%s imports %s: face and api import only the standard library", rel, imp)
				}
				continue
			}
			to := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if (rel == "face" || rel == "api") && to != "" {
				t.Errorf("%s imports %s: face and api import only the standard library", rel, to)
			}
			if s := stageOf(to); from != "" && s != "" && s != from {
				t.Errorf("stage %s imports stage %s: the Engine composes stages, they do not import each other", rel, to)
			}
			if to == "internal/config" && !strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(rel, "cmd/") {
				t.Errorf("library package %s imports internal/config: libraries take options, never the environment", rel)
			}
		}
	}
}

// TestPureGoPackages checks that the pure stages build without cgo.
func TestPureGoPackages(t *testing.T) {
	pkgs := listPackages(t, "CGO_ENABLED=0")
	for _, rel := range []string{"face", "align", "raster", "detect", "quality", "index", "cluster", "driver", "effects", "liveness/challenge"} {
		p, ok := pkgs[rel]
		if !ok {
			continue // not written yet
		}
		for _, d := range p.Deps {
			if d == module+"/onnx" || d == "runtime/cgo" {
				t.Errorf("%s depends on %s: it must stay pure Go", rel, d)
			}
		}
	}
}
