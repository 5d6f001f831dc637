package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness/challenge"
)

// clipSet is the output of scripts/liveness-clips.sh (scripts/livegen
// -person NAME): three camera clips' frames of one LFW person, and the
// challenges they were made for.
type clipSet struct {
	dir        string
	Person     string           `json:"person"`
	Challenges []challenge.Kind `json:"challenges"`
}

type clipTruth struct {
	Frames []struct {
		File string `json:"file"`
		MS   int64  `json:"ms"`
	} `json:"frames"`
}

// livenessClips finds the clips named by $MIEN_LIVENESS_CLIPS
// (testenv.LivenessClips) and reads their clips.json.
func livenessClips(t *testing.T) clipSet {
	dir := testenv.LivenessClips(t)
	cs := clipSet{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "clips.json"))
	if err == nil {
		err = json.Unmarshal(b, &cs)
	}
	if err != nil || len(cs.Challenges) == 0 {
		t.Fatalf("%s/clips.json: %v", dir, err)
	}
	return cs
}

// frames reads a clip's JPEG frames and their times (ms).
func (cs clipSet) frames(t *testing.T, name string) ([][]byte, []int64) {
	var tr clipTruth
	b, err := os.ReadFile(filepath.Join(cs.dir, "frames", name, "truth.json"))
	if err == nil {
		err = json.Unmarshal(b, &tr)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var ms []int64
	for _, f := range tr.Frames {
		b, err := os.ReadFile(filepath.Join(cs.dir, "frames", name, f.File))
		if err != nil {
			t.Fatal(err)
		}
		out, ms = append(out, b), append(ms, f.MS)
	}
	return out, ms
}

// enrolClipPerson enrols the clips' person from the first of their LFW
// photos that enrols (some show two faces).
func (e *env) enrolClipPerson(col, person string) string {
	e.t.Helper()
	lfw := testenv.Shared(e.t, "data/lfw/images")
	for n := 1; n <= 20; n++ {
		data, err := os.ReadFile(filepath.Join(lfw, person, fmt.Sprintf("%s_%04d.jpg", person, n)))
		if err != nil {
			break
		}
		body, ct := form(map[string][][]byte{"images": {data}}, consentFields(person))
		if code, out := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct); code == 201 {
			return out["id"].(string)
		}
	}
	e.t.Fatalf("no photo of %s enrols", person)
	return ""
}

// TestLivenessRealClips: the real engine behind the HTTP transport. The
// pass clip (real LFW photos of one person at the asked poses) is live and
// its token logs that person in, once; the printed photo tilted as a sheet
// and the screen replay of another session are not live, with reasons.
func TestLivenessRealClips(t *testing.T) {
	cs := livenessClips(t)
	clk := &clock{}
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 64 << 20, Timeout: 5 * time.Minute,
		Liveness: server.LivenessOptions{Challenges: cs.Challenges, Now: clk.now, MaxFrames: 400, MaxFrameBytes: 1 << 20,
			TTL: 2 * time.Minute}}) // a burst of 110 frames takes 10-30 s on a busy machine
	col := e.collection(e.admin, "staff")
	sub := map[string]any{"id": e.enrolClipPerson(col, cs.Person)}
	want := map[string]string{"pass": "live", "print": "not_live", "screen": "not_live"}
	for _, name := range []string{"pass", "print", "screen"} {
		frames, ms := cs.frames(t, name)
		id, nonce, _ := e.liveStart(e.admin)
		clk.advance(time.Duration(ms[len(ms)-1]-ms[0])*time.Millisecond + time.Second)
		var ts []string
		for _, v := range ms {
			ts = append(ts, fmt.Sprint(v))
		}
		start := time.Now()
		code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce, "timestamps": strings.Join(ts, ",")}, frames)
		t.Logf("%s: %d frames in %v: %d %v %v", name, len(frames), time.Since(start).Round(time.Millisecond), code, out["result"], out["reasons"])
		if code != 200 || out["result"] != want[name] {
			t.Errorf("%s: %d %v, want %s", name, code, out, want[name])
			continue
		}
		if name != "pass" {
			continue
		}
		tok, _ := out["token"].(string)
		if code, v := e.verifyToken(e.admin, col, sub["id"].(string), tok); code != 200 || v["decision"] != "match" {
			t.Errorf("verify %s with the pass's token: %d %v", cs.Person, code, v)
		}
		if code, _ := e.verifyToken(e.admin, col, sub["id"].(string), tok); code != 403 {
			t.Errorf("the token replayed: %d, want 403", code)
		}
	}
}
