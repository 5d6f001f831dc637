package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

// TestEmbedThousandsOfFiles runs mien embed in a process of its own on 3,000
// files given on the command line (a 340 kB argv). ONNX Runtime's telemetry
// matched /proc/self/cmdline with a recursive regex inside CreateOrtEnv and
// overflowed the cgo thread's stack from about 600 LFW paths: SIGSEGV. The
// files are symlinks: most to nothing or to a corrupt JPEG (read and
// refused at once, so the test stays quick), the last to a real photo.
func TestEmbedThousandsOfFiles(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	photo := testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg")
	bin := mienDir(t)
	dir := filepath.Join(t.TempDir(), "a folder of family photos taken over many years")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.jpg")
	if err := os.WriteFile(corrupt, []byte("\xff\xd8\xff\xe0 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	args := []string{"embed", "--pack", "standard"}
	for i := range n {
		target := filepath.Join(dir, "gone") // dangling: cannot be read
		if i%2 == 1 {
			target = corrupt
		}
		if i == n-1 {
			target = photo
		}
		p := filepath.Join(dir, fmt.Sprintf("holiday-photo-%04d.jpg", i))
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	// A fresh HOME shows what the runtime writes there; the models and the
	// runtime are named explicitly, wherever the test found them.
	c := testenv.Config(t)
	home := t.TempDir()
	res := runMien(t, bin, dir, []string{"HOME=" + home, "MIEN_HOME=" + c.Home, "MIEN_MODELS=" + c.ModelsDir, "MIEN_ORT_LIB=" + c.ORTLib}, args...)
	if strings.Contains(res.stderr, "SIGSEGV") || res.code != exitFailed {
		t.Fatalf("exit %d (want 1: some files unreadable); stderr starts %.600q", res.code, res.stderr)
	}
	var out []struct {
		File     string `json:"file"`
		Error    string `json:"error"`
		Analysis *struct {
			Faces []json.RawMessage `json:"faces"`
		} `json:"analysis"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || len(out) != n {
		t.Fatalf("JSON: %v, %d entries, want %d; stderr ends %.800q", err, len(out), n, res.stderr[max(0, len(res.stderr)-800):])
	}
	if last := out[n-1]; last.Analysis == nil || len(last.Analysis.Faces) != 1 {
		t.Errorf("the readable photo's template is missing: %+v", last)
	}
	for _, want := range []string{
		"holiday-photo-0000.jpg: open ", "no such file", // dangling symlink: cannot be read
		"holiday-photo-0001.jpg: ", "corrupt", // read, not an image
		fmt.Sprintf("%d of %d files could not be read", n-1, n),
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if lines := strings.Count(res.stderr, "mien: embed: "+dir); lines != n-1 {
		t.Errorf("stderr names %d unreadable files, want %d", lines, n-1)
	}
	// The runtime's telemetry stays off: no device id or event store.
	if _, err := os.Stat(filepath.Join(home, ".cache", "Microsoft")); !os.IsNotExist(err) {
		t.Errorf("ONNX Runtime wrote its telemetry store under HOME (%v)", err)
	}
}
