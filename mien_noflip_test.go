package mien_test

import (
	"context"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
)

// TestAnalyzeNoFlip: on an engine that adds the mirrored crop,
// AnalyzeNoFlip gives the templates of an engine without flip (what a
// photo library indexes), and Analyze still gives the flipped ones.
func TestAnalyzeNoFlip(t *testing.T) {
	flipping := testenv.Engine(t, "standard")
	plain, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx := context.Background()
	data := read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg")
	o := detect.Options{MinSize: 40, FaceSize: 40}
	got, err := flipping.AnalyzeNoFlip(ctx, data, o)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.Analyze(ctx, data, o)
	if err != nil {
		t.Fatal(err)
	}
	flipped, err := flipping.Analyze(ctx, data, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Faces) != 1 || len(want.Faces) != 1 || len(flipped.Faces) != 1 {
		t.Fatalf("faces: %d without flip, %d on a plain engine, %d flipped", len(got.Faces), len(want.Faces), len(flipped.Faces))
	}
	if s := face.Dot(got.Faces[0].Embedding.Vector, want.Faces[0].Embedding.Vector); s < 0.99999 {
		t.Fatalf("AnalyzeNoFlip differs from an engine without flip: cosine %v", s)
	}
	if s := face.Dot(got.Faces[0].Embedding.Vector, flipped.Faces[0].Embedding.Vector); s > 0.9999 {
		t.Fatalf("AnalyzeNoFlip gave the flipped template (cosine %v)", s)
	}
}
