package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Hand-built ONNX protobuf pieces (field numbers from onnx.proto).

func msg(fields ...[]byte) []byte { return bytes.Join(fields, nil) }

func bytesField(num int, v []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(num)<<3|wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func varintField(num int, v uint64) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(nil, uint64(num)<<3|wireVarint), v)
}

// valueInfo declares a float tensor [first, 3]; first is a Dimension message.
func valueInfo(name string, first []byte) []byte {
	shape := msg(bytesField(shapeDim, first), bytesField(shapeDim, varintField(dimValue, 3)))
	tensor := msg(varintField(1, 1), bytesField(tensorTypeShape, shape)) // elem_type FLOAT
	return msg(bytesField(1, []byte(name)), bytesField(valueType, bytesField(typeTensor, tensor)))
}

func int64Init(name string, vals ...int64) []byte {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return msg(varintField(tensorDims, uint64(len(vals))), varintField(tensorDataType, tensorTypeInt64),
		bytesField(tensorName, []byte(name)), bytesField(tensorRawData, raw))
}

func node(op string, inputs ...string) []byte {
	var b []byte
	for _, in := range inputs {
		b = append(b, bytesField(nodeInput, []byte(in))...)
	}
	return append(b, bytesField(nodeOpType, []byte(op))...)
}

// model is a graph "x [batch,3] -> Reshape(x, shape) -> y [batch,3]".
func model(batch uint64, shape []byte, shapeName string) []byte {
	return modelDim(varintField(dimValue, batch), shape, shapeName)
}

func modelDim(first, shape []byte, shapeName string) []byte {
	g := msg(bytesField(graphNode, node("Reshape", "x", shapeName)), bytesField(graphInitializer, shape),
		bytesField(graphInput, valueInfo("x", first)), bytesField(graphOutput, valueInfo("y", first)))
	return msg(varintField(1, 8), bytesField(modelGraph, g)) // ir_version 8
}

func TestBatchable(t *testing.T) {
	got, err := Batchable(model(1, int64Init("s", 1, -1), "s"))
	if err != nil {
		t.Fatal(err)
	}
	want := modelDim(bytesField(dimParam, []byte(BatchDim)), int64Init("s", 0, -1), "s")
	if !bytes.Equal(got, want) {
		t.Fatalf("rewritten model:\n%x\nwant\n%x", got, want)
	}
	if again, err := Batchable(got); err == nil {
		t.Fatalf("a model already rewritten was accepted again (its reshape starts with 0): %x", again)
	}
}

func TestBatchableRefuses(t *testing.T) {
	for name, m := range map[string][]byte{
		"batch of 2":            model(2, int64Init("s", 1, -1), "s"),
		"reshape keeps 2":       model(1, int64Init("s", 2, -1), "s"),
		"computed reshape":      model(1, int64Init("other", 1, -1), "s"),
		"truncated":             model(1, int64Init("s", 1, -1), "s")[:20],
		"not protobuf":          []byte{0xff, 0xff, 0xff},
		"reshape in int64_data": model(1, msg(bytesField(tensorName, []byte("s")), varintField(tensorDataType, tensorTypeInt64), bytesField(tensorInt64Data, []byte{1, 0x7f})), "s"),
	} {
		if _, err := Batchable(m); !errors.Is(err, ErrNotBatchable) {
			t.Errorf("%s: %v, want ErrNotBatchable", name, err)
		}
	}
}
