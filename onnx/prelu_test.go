package onnx

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
)

func floatInit(name string, dims []int64, vals ...float32) []byte {
	var fields [][]byte
	for _, d := range dims {
		fields = append(fields, varintField(tensorDims, uint64(d)))
	}
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	fields = append(fields, varintField(tensorDataType, tensorTypeFloat), bytesField(tensorName, []byte(name)), bytesField(tensorRawData, raw))
	return msg(fields...)
}

func nodeOut(op, out string, inputs ...string) []byte {
	return msg(node(op, inputs...), bytesField(nodeOutput, []byte(out)))
}

// convPRelu is "x -> Conv(w: 2 channels) -> c -> PRelu(slope) -> y".
func convPRelu(slope []byte, slopeName, preluIn string) []byte {
	g := msg(bytesField(graphNode, nodeOut("Conv", "c", "x", "w")),
		bytesField(graphNode, nodeOut("PRelu", "y", preluIn, slopeName)),
		bytesField(graphInitializer, floatInit("w", []int64{2, 3, 1, 1}, 1, 2, 3, 4, 5, 6)),
		bytesField(graphInitializer, slope))
	return msg(varintField(1, 8), bytesField(modelGraph, g))
}

func TestPReluAsConv(t *testing.T) {
	m := convPRelu(floatInit("s", []int64{2, 1, 1}, 0.25, -1.5), "s", "c")
	got, n, err := PReluAsConv(m)
	if err != nil || n != 1 {
		t.Fatalf("rewrote %d PRelu (%v), want 1", n, err)
	}
	var g []byte
	eachField(got, func(num, wt int, v []byte) error {
		if num == modelGraph {
			g = v
		}
		return nil
	})
	nodes, inits, err := readGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, nd := range nodes {
		ops = append(ops, nd.op)
	}
	if strings.Join(ops, " ") != "Conv Conv Relu Conv Add" {
		t.Fatalf("nodes %v, want Conv Conv Relu Conv Add", ops)
	}
	if last := nodes[4]; last.outs[0] != "y" || last.ins[1] != "c" || nodes[1].ins[0] != "c" {
		t.Errorf("the rewrite is not wired c -> ... -> y: %+v", nodes)
	}
	neg, scale := inits[preluPrefix+"0_wneg"], inits[preluPrefix+"0_wscale"]
	if want := []float32{-1, -1}; !slices.Equal(neg.vals, want) || len(neg.dims) != 4 {
		t.Errorf("negation weights %+v, want %v shaped [2 1 1 1]", neg, want)
	}
	if want := []float32{0.75, 2.5}; !slices.Equal(scale.vals, want) {
		t.Errorf("scale weights %v, want 1 - slope = %v", scale.vals, want)
	}
}

func TestPReluAsConvKeeps(t *testing.T) {
	for name, m := range map[string][]byte{
		"slope is computed":       convPRelu(floatInit("other", []int64{2, 1, 1}, 0.25, 0.5), "s", "c"),
		"one slope for all":       convPRelu(floatInit("s", []int64{1}, 0.25), "s", "c"),
		"slope of other channels": convPRelu(floatInit("s", []int64{3, 1, 1}, 0.25, 0.5, 1), "s", "c"),
		"input is not a Conv's":   convPRelu(floatInit("s", []int64{2, 1, 1}, 0.25, 0.5), "s", "x"),
	} {
		got, n, err := PReluAsConv(m)
		if err != nil || n != 0 || !bytes.Equal(got, m) {
			t.Errorf("%s: rewrote %d (%v), want the model unchanged", name, n, err)
		}
	}
	clash := msg(varintField(1, 8), bytesField(modelGraph, msg(bytesField(graphNode, nodeOut("Relu", preluPrefix+"0_neg", "x")))))
	if _, _, err := PReluAsConv(clash); err == nil {
		t.Error("a graph already using the rewrite's names was accepted")
	}
	if _, _, err := PReluAsConv([]byte{0xff, 0xff}); err == nil {
		t.Error("bytes that are not protobuf were accepted")
	}
}

// barracudaPRelu is the Barracuda export's form (MediaPipe's face mesh and
// iris models): "x -> Conv(w: 2 channels) -> c; z = Concat(pad, c); s =
// Add(z or another input, c); y = PRelu(s, Expand(alpha [1, C, 1, 1],
// shape))", where pad is a ConstantOfShape of a 4-element shape.
func barracudaPRelu(alpha []byte, addIn string) []byte {
	shape := msg(varintField(tensorDims, 4), varintField(tensorDataType, 7), bytesField(tensorName, []byte("shape")),
		bytesField(tensorRawData, make([]byte, 32)))
	g := msg(bytesField(graphNode, nodeOut("Conv", "c", "x", "w")),
		bytesField(graphNode, nodeOut("ConstantOfShape", "pad", "shape")),
		bytesField(graphNode, nodeOut("Concat", "z", "pad", "c")),
		bytesField(graphNode, nodeOut("Add", "s", addIn, "c")),
		bytesField(graphNode, nodeOut("Expand", "slope", "alpha", "shape")),
		bytesField(graphNode, nodeOut("PRelu", "y", "s", "slope")),
		bytesField(graphInitializer, floatInit("w", []int64{2, 3, 1, 1}, 1, 2, 3, 4, 5, 6)),
		bytesField(graphInitializer, shape),
		bytesField(graphInitializer, alpha))
	return msg(varintField(1, 8), bytesField(modelGraph, g))
}

// TestPReluAsConvBarracuda: a slope expanded from [1, C, 1, 1] on an Add of
// 4-D activations (one of them a Concat with a ConstantOfShape) is
// rewritten with the slope's values; a slope of one channel, of channels
// the input does not have, or an input of unknown rank is kept.
func TestPReluAsConvBarracuda(t *testing.T) {
	m := barracudaPRelu(floatInit("alpha", []int64{1, 2, 1, 1}, 0.25, -1.5), "z")
	got, n, err := PReluAsConv(m)
	if err != nil || n != 1 {
		t.Fatalf("rewrote %d PRelu (%v), want 1", n, err)
	}
	var g []byte
	eachField(got, func(num, wt int, v []byte) error {
		if num == modelGraph {
			g = v
		}
		return nil
	})
	nodes, inits, err := readGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, nd := range nodes {
		ops = append(ops, nd.op)
	}
	if strings.Join(ops, " ") != "Conv ConstantOfShape Concat Add Expand Conv Relu Conv Add" {
		t.Fatalf("nodes %v", ops)
	}
	if last := nodes[8]; last.outs[0] != "y" || last.ins[1] != "s" || nodes[5].ins[0] != "s" {
		t.Errorf("the rewrite is not wired s -> ... -> y: %+v", nodes[5:])
	}
	if want := []float32{0.75, 2.5}; !slices.Equal(inits[preluPrefix+"0_wscale"].vals, want) {
		t.Errorf("scale weights %v, want 1 - slope = %v", inits[preluPrefix+"0_wscale"].vals, want)
	}
	for name, m := range map[string][]byte{
		"one channel":           barracudaPRelu(floatInit("alpha", []int64{1, 1, 1, 1}, 0.25), "z"),
		"other channels":        barracudaPRelu(floatInit("alpha", []int64{1, 3, 1, 1}, 0.25, 0.5, 1), "z"),
		"slope shaped [2]":      barracudaPRelu(floatInit("alpha", []int64{2}, 0.25, 0.5), "z"),
		"input of unknown rank": barracudaPRelu(floatInit("alpha", []int64{1, 2, 1, 1}, 0.25, 0.5), "x"),
	} {
		got, n, err := PReluAsConv(m)
		if err != nil || n != 0 || !bytes.Equal(got, m) {
			t.Errorf("%s: rewrote %d (%v), want the model unchanged", name, n, err)
		}
	}
}
