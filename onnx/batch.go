package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNotBatchable is returned by Batchable for a model whose graph cannot
// be given a free batch dimension safely.
var ErrNotBatchable = errors.New("onnx: model cannot be batched")

// BatchDim is the name Batchable gives the free batch dimension.
const BatchDim = "batch"

// Field numbers of the ONNX protobuf messages Batchable reads and rewrites
// (onnx/onnx.proto).
const (
	modelGraph        = 7  // ModelProto.graph
	graphNode         = 1  // GraphProto.node
	graphInitializer  = 5  // GraphProto.initializer
	graphInput        = 11 // GraphProto.input
	graphOutput       = 12 // GraphProto.output
	graphValueInfo    = 13 // GraphProto.value_info
	nodeInput         = 1  // NodeProto.input
	nodeOpType        = 4  // NodeProto.op_type
	valueType         = 2  // ValueInfoProto.type
	typeTensor        = 1  // TypeProto.tensor_type
	tensorTypeShape   = 2  // TypeProto.Tensor.shape
	shapeDim          = 1  // TensorShapeProto.dim
	dimValue          = 1  // Dimension.dim_value
	dimParam          = 2  // Dimension.dim_param
	tensorDims        = 1  // TensorProto.dims
	tensorDataType    = 2  // TensorProto.data_type
	tensorInt64Data   = 7  // TensorProto.int64_data
	tensorName        = 8  // TensorProto.name
	tensorRawData     = 9  // TensorProto.raw_data
	tensorTypeInt64   = 7  // TensorProto.DataType INT64
	wireVarint        = 0
	wireBytes         = 2
	maxReshapeTargets = 8
)

// Batchable returns a copy of a model whose inputs and outputs are declared
// with a batch dimension of exactly 1 (shape [1, ...]) in which that
// dimension is free, so one Run can take several images: every graph input,
// output and value_info whose first dimension is 1 gets the dimension
// parameter BatchDim, and every Reshape whose target shape is a constant
// starting with 1 keeps the batch size instead (0, "copy the input's
// dimension"). A graph where a Reshape's target is computed, or whose
// declared first dimensions are not all 1, is refused with ErrNotBatchable:
// batching it could mix images. Callers should still check that a batch
// answers as the single runs do (embed's tests do).
func Batchable(model []byte) ([]byte, error) {
	out, err := editFields(model, modelGraph, batchGraph)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBatchable, err)
	}
	return out, nil
}

func batchGraph(g []byte) ([]byte, error) {
	targets := map[string]bool{}
	err := eachField(g, func(num, wt int, v []byte) error {
		if num != graphNode || wt != wireBytes {
			return nil
		}
		var op string
		var ins []string
		err := eachField(v, func(n, w int, b []byte) error {
			switch {
			case n == nodeOpType && w == wireBytes:
				op = string(b)
			case n == nodeInput && w == wireBytes:
				ins = append(ins, string(b))
			}
			return nil
		})
		if err == nil && op == "Reshape" && len(ins) == 2 {
			targets[ins[1]] = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(targets) > maxReshapeTargets {
		return nil, fmt.Errorf("%d reshapes", len(targets))
	}
	found := map[string]bool{}
	g, err = editFields(g, graphInitializer, func(t []byte) ([]byte, error) { return batchReshapeTarget(t, targets, found) })
	if err != nil {
		return nil, err
	}
	if len(found) != len(targets) {
		return nil, fmt.Errorf("a reshape target is not a constant initializer")
	}
	for _, num := range []int{graphInput, graphOutput, graphValueInfo} {
		if g, err = editFields(g, num, batchValueInfo); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// batchReshapeTarget turns a reshape target [1, ...] into [0, ...].
func batchReshapeTarget(t []byte, targets, found map[string]bool) ([]byte, error) {
	var name string
	var dtype uint64
	var raw []byte
	err := eachField(t, func(num, wt int, v []byte) error {
		switch {
		case num == tensorName && wt == wireBytes:
			name = string(v)
		case num == tensorDataType && wt == wireVarint:
			dtype, _ = binary.Uvarint(v)
		case num == tensorInt64Data:
			return fmt.Errorf("reshape target in int64_data") // not written by the exporters of our models
		case num == tensorRawData && wt == wireBytes:
			raw = v
		}
		return nil
	})
	if err != nil || !targets[name] {
		return t, err
	}
	if dtype != tensorTypeInt64 || len(raw) < 8 || int64(binary.LittleEndian.Uint64(raw)) != 1 {
		return nil, fmt.Errorf("reshape target %q does not start with a batch of 1", name)
	}
	found[name] = true
	return editFields(t, tensorRawData, func(r []byte) ([]byte, error) {
		r = append([]byte(nil), r...)
		binary.LittleEndian.PutUint64(r, 0)
		return r, nil
	})
}

// batchValueInfo makes a declared first dimension of 1 the free BatchDim.
func batchValueInfo(vi []byte) ([]byte, error) {
	return editFields(vi, valueType, func(tp []byte) ([]byte, error) {
		return editFields(tp, typeTensor, func(tt []byte) ([]byte, error) {
			return editFields(tt, tensorTypeShape, func(sh []byte) ([]byte, error) {
				first := true
				return editFields(sh, shapeDim, func(d []byte) ([]byte, error) {
					if !first {
						return d, nil
					}
					first = false
					return batchDim(d)
				})
			})
		})
	})
}

func batchDim(d []byte) ([]byte, error) {
	var value uint64
	var hasValue, hasParam bool
	err := eachField(d, func(num, wt int, v []byte) error {
		switch {
		case num == dimValue && wt == wireVarint:
			value, _ = binary.Uvarint(v)
			hasValue = true
		case num == dimParam:
			hasParam = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if hasParam {
		return d, nil // already free
	}
	if !hasValue || value != 1 {
		return nil, fmt.Errorf("first dimension is %d, not 1", value)
	}
	out := binary.AppendUvarint(nil, dimParam<<3|wireBytes)
	out = binary.AppendUvarint(out, uint64(len(BatchDim)))
	return append(out, BatchDim...), nil
}

// eachField calls f with every top-level field of a protobuf message: its
// number, wire type and value (a varint's encoded bytes, or a
// length-delimited field's contents).
func eachField(msg []byte, f func(num, wt int, v []byte) error) error {
	for len(msg) > 0 {
		num, wt, v, n, err := nextField(msg)
		if err != nil {
			return err
		}
		if err := f(num, wt, v); err != nil {
			return err
		}
		msg = msg[n:]
	}
	return nil
}

// editFields returns msg with every length-delimited field num replaced by
// edit's answer; every other field is copied byte for byte.
func editFields(msg []byte, num int, edit func([]byte) ([]byte, error)) ([]byte, error) {
	out := make([]byte, 0, len(msg))
	for len(msg) > 0 {
		n0, wt, v, n, err := nextField(msg)
		if err != nil {
			return nil, err
		}
		if n0 != num || wt != wireBytes {
			out = append(out, msg[:n]...)
			msg = msg[n:]
			continue
		}
		nv, err := edit(v)
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(num)<<3|wireBytes)
		out = binary.AppendUvarint(out, uint64(len(nv)))
		out = append(out, nv...)
		msg = msg[n:]
	}
	return out, nil
}

// nextField decodes the field at the start of msg and returns its number,
// wire type, value and total encoded length.
func nextField(msg []byte) (num, wt int, v []byte, size int, err error) {
	key, k := binary.Uvarint(msg)
	if k <= 0 || key>>3 == 0 {
		return 0, 0, nil, 0, errors.New("malformed protobuf key")
	}
	num, wt = int(key>>3), int(key&7)
	rest := msg[k:]
	switch wt {
	case wireVarint:
		_, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, 0, nil, 0, errors.New("malformed protobuf varint")
		}
		return num, wt, rest[:n], k + n, nil
	case 1, 5: // fixed64, fixed32
		w := 8
		if wt == 5 {
			w = 4
		}
		if len(rest) < w {
			return 0, 0, nil, 0, errors.New("truncated protobuf field")
		}
		return num, wt, rest[:w], k + w, nil
	case wireBytes:
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return 0, 0, nil, 0, errors.New("truncated protobuf field")
		}
		return num, wt, rest[n : n+int(l)], k + n + int(l), nil
	default:
		return 0, 0, nil, 0, fmt.Errorf("protobuf wire type %d is not supported", wt)
	}
}
