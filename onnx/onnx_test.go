package onnx

import (
	"strings"
	"testing"
)

func TestSignatureExpect(t *testing.T) {
	sig := Signature{
		Inputs:  []IO{{Name: "input", Shape: []int64{-1, 3, -1, -1}}},
		Outputs: []IO{{Name: "out", Shape: []int64{1, 512}}},
	}
	cases := []struct {
		name    string
		in, out map[string][]int64
		wantErr string
	}{
		{"matches", map[string][]int64{"input": {1, 3, 640, 480}}, map[string][]int64{"out": {1, -1}}, ""},
		{"rank only", map[string][]int64{"input": nil}, nil, ""},
		{"missing input", map[string][]int64{"data": {1}}, nil, `no input "data"`},
		{"wrong rank", map[string][]int64{"input": {1, 3, 112}}, nil, "want rank 3"},
		{"wrong fixed dim", nil, map[string][]int64{"out": {1, 128}}, "want [1 128]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := sig.Expect(c.in, c.out)
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("got %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}

func TestInitWithoutLibrary(t *testing.T) {
	if err := Init(RuntimeOptions{}); err == nil {
		t.Fatal("Init with no path: want an error")
	}
}
