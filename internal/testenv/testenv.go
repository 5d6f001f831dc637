// Package testenv finds what model-dependent tests need (ONNX Runtime, an
// installed model pack, ../shared) and skips the test with a message saying
// how to enable it when something is missing.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/config"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

// Enable is the command that installs what model tests need.
const Enable = "run scripts/setup.sh (or scripts/test.sh) to install ONNX Runtime and the model packs"

// Root returns the repository root (the directory holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Shared returns the path of rel inside ../shared beside the checkout, or
// skips the test when it is absent.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Root(t), "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: ../shared is absent beside the checkout", p)
	}
	return p
}

// Config returns the environment's configuration.
func Config(t testing.TB) config.Config {
	t.Helper()
	c, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Pack loads an installed pack by name or skips.
func Pack(t testing.TB, name string) *models.Pack {
	t.Helper()
	c := Config(t)
	p, err := models.Load(filepath.Join(c.ModelsDir, name))
	if err != nil {
		t.Skipf("model pack %q not installed in %s (%v): %s", name, c.ModelsDir, err, Enable)
	}
	return p
}

// Runtime returns the runtime options or skips when the library is absent.
func Runtime(t testing.TB) onnx.RuntimeOptions {
	t.Helper()
	c := Config(t)
	if _, err := os.Stat(c.ORTLib); err != nil {
		t.Skipf("ONNX Runtime not found at %s: %s", c.ORTLib, Enable)
	}
	return onnx.RuntimeOptions{LibraryPath: c.ORTLib}
}

var (
	mu      sync.Mutex
	engines = map[string]*mien.Engine{}
)

// Engine returns a shared engine on the named pack ("standard" or
// "default"), opened once per test process with flip enabled, or skips.
// Tests must not Close it.
func Engine(t testing.TB, pack string) *mien.Engine {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if e, ok := engines[pack]; ok {
		return e
	}
	p := Pack(t, pack)
	rt := Runtime(t)
	e, err := mien.Open(p, mien.Options{Runtime: rt, Flip: true})
	if err != nil {
		t.Fatalf("opening the %s pack: %v", pack, err)
	}
	engines[pack] = e
	return e
}

// E2E skips the test with why, or fails it when MIEN_REQUIRE_E2E=1 (CI sets
// it once scripts/test.sh has installed the browser and node modules).
func E2E(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("MIEN_REQUIRE_E2E") == "1" {
		t.Fatalf("%s (MIEN_REQUIRE_E2E=1)", why)
	}
	t.Skipf("%s: run scripts/test.sh, which installs chromium and web/e2e's node modules", why)
}

// Node returns node and the web/e2e directory, whose node_modules must hold
// the named package, or skips (see E2E).
func Node(t testing.TB, pkg string) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		E2E(t, "node not found")
	}
	dir = filepath.Join(Root(t), "web", "e2e")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
		E2E(t, pkg+" is not installed in web/e2e (npm ci --prefix web/e2e)")
	}
	return node, dir
}
