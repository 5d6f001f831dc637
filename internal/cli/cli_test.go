package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpAndUnknownCommand(t *testing.T) {
	code, out, _ := run("--help")
	if code != 0 || !strings.Contains(out, "MIEN_MODELS") || !strings.Contains(out, "compare") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, errs := run("frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
}

func TestMissingPackSaysWhatToRun(t *testing.T) {
	t.Setenv("MIEN_HOME", t.TempDir())
	t.Setenv("MIEN_PACK", "")
	code, _, errs := run("detect", "x.jpg")
	if code != 1 || !strings.Contains(errs, "mien models install default") {
		t.Fatalf("%d %q", code, errs)
	}
}

func TestCompareExitCodes(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	rob1 := testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg")
	rob2 := testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0002.jpg")
	other := testenv.Shared(t, "fixtures/insightface/bulk_Nathalie_Baye_0002.jpg")
	if code, out, errs := run("compare", "--pack", "standard", rob1, rob2); code != 0 || !strings.Contains(out, "same person") {
		t.Fatalf("same person: %d %q %q", code, out, errs)
	}
	code, out, _ := run("compare", "--pack", "standard", "--json", rob1, other)
	var res struct {
		Similarity float64 `json:"similarity"`
		Same       bool    `json:"same_person"`
	}
	if code != 3 || json.Unmarshal([]byte(out), &res) != nil || res.Same {
		t.Fatalf("different people: exit %d, %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.jpg")
	os.WriteFile(bad, []byte("\xff\xd8\xff\xe0 truncated"), 0o644)
	if code, _, errs := run("compare", "--pack", "standard", rob1, bad); code != 1 || !strings.Contains(errs, "corrupt") {
		t.Fatalf("corrupt image: %d %q", code, errs)
	}
}

func TestDetectJSONAndDraw(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	img := testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg")
	png := filepath.Join(t.TempDir(), "out.png")
	code, out, errs := run("detect", "--pack", "standard", "--draw", png, img)
	if code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	var res []imageResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || len(res[0].Faces) != 1 {
		t.Fatalf("%v %s", err, out)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("drawing not written: %v", err)
	}
}

// TestUnreadableFilesFail: detect and embed name each file they cannot read
// on stderr, with the reason, keep the JSON of every file and exit 1 (embed
// exited 0; detect gave the reason only inside the JSON).
func TestUnreadableFilesFail(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	img := testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.jpg")
	notImage := filepath.Join(dir, "notes.jpg")
	os.WriteFile(notImage, []byte("shopping list"), 0o644)
	for _, cmd := range []string{"detect", "embed"} {
		code, out, errs := run(cmd, img, missing, notImage, "--pack", "standard")
		var res []map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 3 || res[0]["error"] != nil || res[1]["error"] == nil {
			t.Errorf("%s JSON: %v %s", cmd, err, out)
		}
		if code != exitFailed {
			t.Errorf("%s: exit %d, want 1", cmd, code)
		}
		for _, want := range []string{"mien: " + cmd + ": " + missing + ": ", "no such file", "mien: " + cmd + ": " + notImage + ": ", "2 of 3 files could not be read"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%s: stderr lacks %q: %q", cmd, want, errs)
			}
		}
	}
}
