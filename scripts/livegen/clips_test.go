package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness/challenge"
)

// TestClipPerson plans the camera clips' person from nothing, as
// scripts/liveness-clips.sh does on a fresh machine: Tony Blair's best rest
// photo shows another face, which once left no person at all (the clips
// could not be made and their tests skipped). The plan must take a rest
// photo that shows him alone and 3 actions from real photos, each photo
// alone and showing its action as shown.
func TestClipPerson(t *testing.T) {
	lfw, e := testEngine(t)
	ctx := context.Background()
	const person = "Tony_Blair" // scripts/liveness-clips.sh's
	photos, err := survey(ctx, e, lfw, filepath.Join(t.TempDir(), "survey.jsonl"), person, nil, 1, 1000)
	if err != nil || len(photos) < 100 {
		t.Fatalf("survey: %d photos, %v", len(photos), err)
	}
	p, err := clipPerson(ctx, e, lfw, photos)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rest %s, actions %v", p.Rest.File, p.Kinds())
	if _, ok := alone(ctx, e, lfw, p.Rest); !ok {
		t.Errorf("the rest photo %s shows another face", p.Rest.File)
	}
	if len(p.Actions) < 3 {
		t.Fatalf("%d actions: %v", len(p.Actions), p.Kinds())
	}
	head := false
	for k, a := range p.Actions {
		if a.Closed != nil {
			t.Errorf("%s is a synthetic blink", k)
		}
		if _, ok := alone(ctx, e, lfw, a); !ok {
			t.Errorf("the %s photo %s shows another face", k, a.File)
		}
		head = head || k == challenge.TurnLeft || k == challenge.TurnRight || k == challenge.LookUp
	}
	if !head {
		t.Errorf("no head movement among %v", p.Kinds())
	}
}

// testEngine opens the standard pack for a test (closed when it ends) and
// returns it with the LFW images' directory; the test skips without them.
func testEngine(t *testing.T) (string, *mien.Engine) {
	t.Helper()
	lfw := testenv.Shared(t, "data/lfw/images")
	e, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return lfw, e
}
