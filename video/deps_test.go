package video

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStagesStayStages: video, track, count and gate use no HTTP and no other
// stage of mien (only face, the shared value types), as CONVENTIONS.md asks.
func TestStagesStayStages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	const module = "github.com/mienhq/mien"
	for _, pkg := range []string{"video", "track", "count", "gate"} {
		out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if d == "net/http" || (strings.HasPrefix(d, module+"/") && d != module+"/face" && d != module+"/"+pkg) {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
