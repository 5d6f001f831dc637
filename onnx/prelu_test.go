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
