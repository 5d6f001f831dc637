package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/testenv"
)

// openSetPlan picks, by a fixed rule, n LFW people with at least four
// photos (every k-th in name order) to index with their first photo and
// search with their next three, and n people with one photo (every k-th)
// who are never indexed.
func openSetPlan(t *testing.T, lfw string, n int) (index, probes []map[string]any) {
	t.Helper()
	dirs, err := os.ReadDir(lfw)
	if err != nil {
		t.Fatal(err)
	}
	var many, single []string
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(lfw, d.Name(), "*.jpg"))
		switch {
		case len(files) >= 4:
			many = append(many, d.Name())
		case len(files) == 1:
			single = append(single, d.Name())
		}
	}
	sort.Strings(many)
	sort.Strings(single)
	photo := func(p string, i int) string { return filepath.Join(lfw, p, fmt.Sprintf("%s_%04d.jpg", p, i)) }
	for i := 0; i < n; i++ {
		p := many[i*len(many)/n]
		index = append(index, map[string]any{"person": p, "path": photo(p, 1)})
		for j := 2; j <= 4; j++ {
			probes = append(probes, map[string]any{"person": p, "enrolled": true, "path": photo(p, j)})
		}
		s := single[i*len(single)/n]
		probes = append(probes, map[string]any{"person": s, "enrolled": false, "path": photo(s, 1)})
	}
	return index, probes
}

type openSetProbe struct {
	Person, Path, Nearest, Error string
	Enrolled                     bool
	Matches                      []string
	Best, NearestSimilarity      float64
}

// TestRekognitionJavaScriptSDKOpenSet: an unmodified AWS SDK for
// JavaScript program (web/e2e/rekognition_openset.cjs) indexes 20 LFW
// people, one photo each, and searches at the SDK's default
// FaceMatchThreshold (80) with 20 people who were never indexed, and with
// three other photos of each indexed person. No stranger may match anyone;
// the indexed people's photos must be found as themselves.
func TestRekognitionJavaScriptSDKOpenSet(t *testing.T) {
	node, dir := testenv.Node(t, "@aws-sdk/client-rekognition")
	lfw := testenv.Shared(t, "data/lfw/images")
	e := rekServe(t, testenv.Engine(t, "standard"), server.Options{MaxBody: 8 << 20})
	id, secret := e.awsKey(e.admin, false)
	index, probes := openSetPlan(t, lfw, 20)
	plan, _ := json.Marshal(map[string]any{"index": index, "probes": probes})
	planPath := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(planPath, plan, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "rekognition_openset.cjs"))
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_REKOGNITION="+e.url, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_REGION=eu-west-3", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "OPENSET_PLAN="+planPath)
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	var out struct {
		Indexed, NotIndexed []string
		FaceCount           int
		FaceModelVersion    string
		Probes              []openSetProbe
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(out.Indexed) != 20 || out.FaceCount != 20 {
		t.Fatalf("indexed %d people (%d faces), not indexed %v", len(out.Indexed), out.FaceCount, out.NotIndexed)
	}
	strangers, falseHits, genuine, found, wrong := 0, 0, 0, 0, 0
	strangerBest := 0.0
	for _, p := range out.Probes {
		switch {
		case p.Error != "":
			t.Logf("%s: %s", filepath.Base(p.Path), p.Error)
		case !p.Enrolled:
			strangers++
			strangerBest = max(strangerBest, p.NearestSimilarity)
			if len(p.Matches) > 0 {
				falseHits++
				t.Errorf("stranger %s matched %v (Similarity %.2f)", p.Person, p.Matches, p.Best)
			}
		default:
			genuine++
			switch {
			case len(p.Matches) > 0 && p.Matches[0] == p.Person:
				found++
			case len(p.Matches) > 0:
				wrong++
				t.Errorf("%s matched %v first (Similarity %.2f)", filepath.Base(p.Path), p.Matches, p.Best)
			default:
				t.Logf("%s not found: nearest %s at Similarity %.2f", filepath.Base(p.Path), p.Nearest, p.NearestSimilarity)
			}
		}
	}
	t.Logf("FaceMatchThreshold 80: %d strangers, %d false hits (best stranger Similarity %.2f); %d of %d photos of indexed people found as themselves, %d as someone else",
		strangers, falseHits, strangerBest, found, genuine, wrong)
	if strangers < 18 || genuine < 50 {
		t.Fatalf("only %d strangers and %d genuine probes had a face: the test exercises too little", strangers, genuine)
	}
	if found < genuine*3/4 {
		t.Errorf("only %d of %d photos of indexed people found at FaceMatchThreshold 80", found, genuine)
	}
}
