package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Field numbers PReluAsConv reads and writes beyond Batchable's
// (onnx/onnx.proto).
const (
	nodeOutput      = 2  // NodeProto.output
	nodeName        = 3  // NodeProto.name
	nodeAttribute   = 5  // NodeProto.attribute
	attrName        = 1  // AttributeProto.name
	attrInt         = 3  // AttributeProto.i
	attrInts        = 8  // AttributeProto.ints
	attrType        = 20 // AttributeProto.type
	attrTypeInt     = 2  // AttributeProto.AttributeType INT
	attrTypeInts    = 7  // AttributeProto.AttributeType INTS
	tensorFloatData = 4  // TensorProto.float_data
	tensorTypeFloat = 1  // TensorProto.DataType FLOAT
	preluPrefix     = "mien_prelu_"
)

// PReluAsConv returns a copy of a model in which every PRelu on a 4-D
// activation (a convolution's output, or an Add, Concat, MaxPool, Relu or
// PRelu of such) with one constant slope a per channel is computed as
//
//	y = x + (1 - a) * Relu(-x)
//
// by two 1x1 depthwise convolutions (weights -1 with a fused Relu, then
// 1 - a with the add fused). ONNX Runtime runs a convolution's neighbours
// in its blocked NCHWc layout only when they are convolutions, pools, adds
// or plain activations: a PRelu forces the activation back to NCHW and
// again into NCHWc around it, and its broadcast kernel is slow. On
// MobileFaceNet-style recognizers (33 PRelu) this halves the run time. y
// equals PRelu(x) exactly for x >= 0 and to within a rounding of a * x
// otherwise (float noise: embeddings agree to a cosine of 1 - 1e-9).
//
// The slope is a float initializer shaped [C, 1, 1] (PyTorch exports) or
// the Expand of one shaped [1, C, 1, 1] (Barracuda exports of MediaPipe's
// face mesh and iris models), with C > 1: PRelu's slope must broadcast to
// its input, so the input has C channels. A PRelu that follows an Add is
// rewritten too (ONNX Runtime keeps adds in NCHWc as well).
//
// It returns the model unchanged and 0 when there is no such PRelu, and
// the number rewritten otherwise. Other PRelu nodes (slopes computed, or
// shaped otherwise, or inputs of unknown rank) are kept; the Expand of a
// rewritten slope is left for ONNX Runtime's constant folding.
func PReluAsConv(model []byte) ([]byte, int, error) {
	rewritten := 0
	out, err := editFields(model, modelGraph, func(g []byte) ([]byte, error) {
		ng, n, err := preluGraph(g)
		rewritten = n
		return ng, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("onnx: rewriting PRelu: %w", err)
	}
	if rewritten == 0 {
		return model, 0, nil
	}
	return out, rewritten, nil
}

// pbNode is the part of a NodeProto the rewrite needs.
type pbNode struct {
	op        string
	ins, outs []string
}

// pbInit is a float initializer's shape and values (nil values for
// another element type).
type pbInit struct {
	dims []int64
	vals []float32
}

func preluGraph(g []byte) ([]byte, int, error) {
	nodes, inits, err := readGraph(g)
	if err != nil {
		return nil, 0, err
	}
	for _, nd := range nodes {
		for _, name := range append(append([]string(nil), nd.ins...), nd.outs...) {
			if strings.HasPrefix(name, preluPrefix) {
				return nil, 0, fmt.Errorf("the graph already holds a name %q", name)
			}
		}
	}
	rank4 := fourD(nodes, inits)
	expand := map[string]pbNode{} // an Expand's output -> the Expand
	for _, nd := range nodes {
		if nd.op == "Expand" && len(nd.ins) == 2 && len(nd.outs) == 1 {
			expand[nd.outs[0]] = nd
		}
	}
	out := make([]byte, 0, len(g)+len(g)/8)
	var extra []byte
	k, count := 0, 0
	for rest := g; len(rest) > 0; {
		num, wt, _, n, err := nextField(rest)
		if err != nil {
			return nil, 0, err
		}
		field := rest[:n]
		rest = rest[n:]
		if num != graphNode || wt != wireBytes {
			out = append(out, field...)
			continue
		}
		nd := nodes[k]
		k++
		slope, c, ok := preluSlope(nd, inits, expand, rank4)
		if !ok {
			out = append(out, field...)
			continue
		}
		nodesOut, initsOut := preluNodes(fmt.Sprintf("%s%d_", preluPrefix, count), nd.ins[0], nd.outs[0], slope, c)
		out = append(out, nodesOut...)
		extra = append(extra, initsOut...)
		count++
	}
	return append(out, extra...), count, nil
}

// preluSlope returns the per-channel slope of a PRelu that can be
// rewritten: its input is 4-D and its slope a float initializer shaped
// [C, 1, 1], or the Expand of one shaped [1, C, 1, 1], with C > 1.
func preluSlope(nd pbNode, inits map[string]pbInit, expand map[string]pbNode, rank4 map[string]int64) ([]float32, int64, bool) {
	if nd.op != "PRelu" || len(nd.ins) != 2 || len(nd.outs) != 1 {
		return nil, 0, false
	}
	in, ok := rank4[nd.ins[0]]
	if !ok {
		return nil, 0, false
	}
	s, ok := inits[nd.ins[1]]
	dims := s.dims
	if !ok {
		e, isExpand := expand[nd.ins[1]]
		if !isExpand {
			return nil, 0, false
		}
		if s, ok = inits[e.ins[0]]; !ok || len(s.dims) != 4 || s.dims[0] != 1 {
			return nil, 0, false
		}
		dims = s.dims[1:]
	}
	if s.vals == nil || len(dims) != 3 || dims[1] != 1 || dims[2] != 1 {
		return nil, 0, false
	}
	c := dims[0]
	if c < 2 || int64(len(s.vals)) != c || (in > 0 && in != c) {
		return nil, 0, false
	}
	return s.vals, c, true
}

// fourD returns the tensors known to be 4-D, with their channel count
// where it is known (-1 where not): the outputs of convolutions with 4-D
// weights, of ConstantOfShape with a 4-element shape, and of MaxPool, Relu,
// PRelu, Add and Concat (on axis 1) whose inputs are all 4-D (nodes are in
// topological order, as ONNX requires).
func fourD(nodes []pbNode, inits map[string]pbInit) map[string]int64 {
	known := map[string]int64{}
	for _, nd := range nodes {
		if len(nd.outs) != 1 || len(nd.ins) == 0 {
			continue
		}
		switch nd.op {
		case "Conv":
			if w, ok := inits[nd.ins[min(1, len(nd.ins)-1)]]; ok && len(nd.ins) >= 2 && len(w.dims) == 4 {
				known[nd.outs[0]] = w.dims[0]
			}
		case "ConstantOfShape":
			if sh, ok := inits[nd.ins[0]]; ok && len(sh.dims) == 1 && sh.dims[0] == 4 {
				known[nd.outs[0]] = -1
			}
		case "MaxPool", "Relu", "PRelu":
			if c, ok := known[nd.ins[0]]; ok {
				known[nd.outs[0]] = c
			}
		case "Add", "Concat":
			if c, ok := combine(nd, known); ok {
				known[nd.outs[0]] = c
			}
		}
	}
	return known
}

// combine returns the channels of an Add or Concat of 4-D tensors: the
// Add's inputs' known count (-1 when none is known or they disagree, as a
// broadcast of one channel may); -1 for a Concat (its axis is not read).
func combine(nd pbNode, known map[string]int64) (int64, bool) {
	c := int64(-1)
	for _, in := range nd.ins {
		k, ok := known[in]
		switch {
		case !ok:
			return 0, false
		case k > 0 && c > 0 && k != c:
			c = -2
		case k > 0 && c == -1:
			c = k
		}
	}
	if nd.op == "Concat" || c == -2 {
		return -1, true
	}
	return c, true
}

// preluNodes returns the graph fields (nodes, then initializers) that
// compute y = x + (1 - a) * Relu(-x) with names under prefix p.
func preluNodes(p, x, y string, a []float32, c int64) (nodes, inits []byte) {
	neg := make([]float32, c)
	oma := make([]float32, c)
	for i := range neg {
		neg[i] = -1
		oma[i] = 1 - a[i]
	}
	depthwise := func(in, w, out string) []byte {
		return pbNodeBytes("Conv", []string{in, w}, out, pbAttrInt("group", c), pbAttrInts("kernel_shape", 1, 1))
	}
	nodes = appendBytes(nodes, graphNode, depthwise(x, p+"wneg", p+"neg"))
	nodes = appendBytes(nodes, graphNode, pbNodeBytes("Relu", []string{p + "neg"}, p+"relu"))
	nodes = appendBytes(nodes, graphNode, depthwise(p+"relu", p+"wscale", p+"scaled"))
	nodes = appendBytes(nodes, graphNode, pbNodeBytes("Add", []string{p + "scaled", x}, y))
	inits = appendBytes(inits, graphInitializer, pbFloatInit(p+"wneg", []int64{c, 1, 1, 1}, neg))
	inits = appendBytes(inits, graphInitializer, pbFloatInit(p+"wscale", []int64{c, 1, 1, 1}, oma))
	return nodes, inits
}

// readGraph reads a GraphProto's nodes (in order) and float initializers.
func readGraph(g []byte) ([]pbNode, map[string]pbInit, error) {
	var nodes []pbNode
	inits := map[string]pbInit{}
	err := eachField(g, func(num, wt int, v []byte) error {
		switch {
		case num == graphNode && wt == wireBytes:
			nd, err := readNode(v)
			nodes = append(nodes, nd)
			return err
		case num == graphInitializer && wt == wireBytes:
			name, t, err := readInit(v)
			inits[name] = t
			return err
		}
		return nil
	})
	return nodes, inits, err
}

func readNode(v []byte) (pbNode, error) {
	var nd pbNode
	err := eachField(v, func(num, wt int, b []byte) error {
		switch {
		case num == nodeInput && wt == wireBytes:
			nd.ins = append(nd.ins, string(b))
		case num == nodeOutput && wt == wireBytes:
			nd.outs = append(nd.outs, string(b))
		case num == nodeOpType && wt == wireBytes:
			nd.op = string(b)
		}
		return nil
	})
	return nd, err
}

func readInit(v []byte) (string, pbInit, error) {
	var name string
	var t pbInit
	var dtype uint64
	var raw, packed []byte
	err := eachField(v, func(num, wt int, b []byte) error {
		switch {
		case num == tensorDims && wt == wireVarint:
			d, _ := binary.Uvarint(b)
			t.dims = append(t.dims, int64(d))
		case num == tensorDims && wt == wireBytes: // packed
			for len(b) > 0 {
				d, n := binary.Uvarint(b)
				if n <= 0 {
					return fmt.Errorf("malformed tensor dims")
				}
				t.dims = append(t.dims, int64(d))
				b = b[n:]
			}
		case num == tensorDataType && wt == wireVarint:
			dtype, _ = binary.Uvarint(b)
		case num == tensorName && wt == wireBytes:
			name = string(b)
		case num == tensorRawData && wt == wireBytes:
			raw = b
		case num == tensorFloatData && wt == wireBytes:
			packed = b
		}
		return nil
	})
	if err != nil || dtype != tensorTypeFloat {
		return name, pbInit{dims: t.dims}, err
	}
	data := raw
	if data == nil {
		data = packed
	}
	t.vals = make([]float32, len(data)/4)
	for i := range t.vals {
		t.vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return name, t, nil
}

func appendBytes(out []byte, num int, v []byte) []byte {
	out = binary.AppendUvarint(out, uint64(num)<<3|wireBytes)
	out = binary.AppendUvarint(out, uint64(len(v)))
	return append(out, v...)
}

func appendVarint(out []byte, num int, v uint64) []byte {
	out = binary.AppendUvarint(out, uint64(num)<<3|wireVarint)
	return binary.AppendUvarint(out, v)
}

func pbNodeBytes(op string, ins []string, out string, attrs ...[]byte) []byte {
	var n []byte
	for _, s := range ins {
		n = appendBytes(n, nodeInput, []byte(s))
	}
	n = appendBytes(n, nodeOutput, []byte(out))
	n = appendBytes(n, nodeName, []byte(out+"_node"))
	n = appendBytes(n, nodeOpType, []byte(op))
	for _, a := range attrs {
		n = appendBytes(n, nodeAttribute, a)
	}
	return n
}

func pbAttrInt(name string, v int64) []byte {
	a := appendBytes(nil, attrName, []byte(name))
	a = appendVarint(a, attrInt, uint64(v))
	return appendVarint(a, attrType, attrTypeInt)
}

func pbAttrInts(name string, vs ...int64) []byte {
	a := appendBytes(nil, attrName, []byte(name))
	for _, v := range vs {
		a = appendVarint(a, attrInts, uint64(v))
	}
	return appendVarint(a, attrType, attrTypeInts)
}

func pbFloatInit(name string, dims []int64, vals []float32) []byte {
	var t []byte
	for _, d := range dims {
		t = appendVarint(t, tensorDims, uint64(d))
	}
	t = appendVarint(t, tensorDataType, tensorTypeFloat)
	t = appendBytes(t, tensorName, []byte(name))
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return appendBytes(t, tensorRawData, raw)
}
