//go:build amd64 && !purego

#include "textflag.h"

// func scores2VNNI(codes *byte, chunks int, q *int8, out *int32, n int)
// For n templates (n a multiple of 4; chunks*64 code bytes each,
// consecutive), out[i] = Σ q_j·u_j over the two-bit levels (layout in
// code2.go), with AVX-512 VNNI: one 64-byte load holds two blocks of 128
// values, and VPDPBUSD multiplies 64 levels (unsigned) with 64 query values
// (signed, rearranged by queryVNNI) and adds them into int32 lanes. Four
// templates a loop share the query loads; their sums are reduced together.
TEXT ·scores2VNNI(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ chunks+8(FP), R8
	MOVQ q+16(FP), R9
	MOVQ out+24(FP), DI
	MOVQ n+32(FP), CX
	MOVQ R8, R10
	SHLQ $6, R10 // stride in bytes
	LEAQ (R10)(R10*2), R12 // 3 strides
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z16
quad:
	CMPQ CX, $4
	JL   done
	// Prefetch the codes four loops ahead (2 KB): near idle the pass read
	// 1M codes on two cores in p50 14.4 ms with it, 16.5 ms without.
	PREFETCHT0 2048(SI)
	PREFETCHT0 2112(SI)
	PREFETCHT0 2176(SI)
	PREFETCHT0 2240(SI)
	PREFETCHT0 2304(SI)
	PREFETCHT0 2368(SI)
	PREFETCHT0 2432(SI)
	PREFETCHT0 2496(SI)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   R9, DX
	MOVQ   R8, BX
	MOVQ   SI, R11
chunk:
	VMOVDQU64 (DX), Z20
	VMOVDQU64 64(DX), Z21
	VMOVDQU64 128(DX), Z22
	VMOVDQU64 192(DX), Z23
	VMOVDQU64 (R11), Z4
	VMOVDQU64 (R11)(R10*1), Z5
	VMOVDQU64 (R11)(R10*2), Z6
	VMOVDQU64 (R11)(R12*1), Z7
	VPANDD    Z16, Z4, Z8
	VPANDD    Z16, Z5, Z9
	VPANDD    Z16, Z6, Z10
	VPANDD    Z16, Z7, Z11
	VPDPBUSD  Z20, Z8, Z0
	VPDPBUSD  Z20, Z9, Z1
	VPDPBUSD  Z20, Z10, Z2
	VPDPBUSD  Z20, Z11, Z3
	VPSRLW    $2, Z4, Z8
	VPSRLW    $2, Z5, Z9
	VPSRLW    $2, Z6, Z10
	VPSRLW    $2, Z7, Z11
	VPANDD    Z16, Z8, Z8
	VPANDD    Z16, Z9, Z9
	VPANDD    Z16, Z10, Z10
	VPANDD    Z16, Z11, Z11
	VPDPBUSD  Z21, Z8, Z0
	VPDPBUSD  Z21, Z9, Z1
	VPDPBUSD  Z21, Z10, Z2
	VPDPBUSD  Z21, Z11, Z3
	VPSRLW    $4, Z4, Z8
	VPSRLW    $4, Z5, Z9
	VPSRLW    $4, Z6, Z10
	VPSRLW    $4, Z7, Z11
	VPANDD    Z16, Z8, Z8
	VPANDD    Z16, Z9, Z9
	VPANDD    Z16, Z10, Z10
	VPANDD    Z16, Z11, Z11
	VPDPBUSD  Z22, Z8, Z0
	VPDPBUSD  Z22, Z9, Z1
	VPDPBUSD  Z22, Z10, Z2
	VPDPBUSD  Z22, Z11, Z3
	VPSRLW    $6, Z4, Z8
	VPSRLW    $6, Z5, Z9
	VPSRLW    $6, Z6, Z10
	VPSRLW    $6, Z7, Z11
	VPANDD    Z16, Z8, Z8
	VPANDD    Z16, Z9, Z9
	VPANDD    Z16, Z10, Z10
	VPANDD    Z16, Z11, Z11
	VPDPBUSD  Z23, Z8, Z0
	VPDPBUSD  Z23, Z9, Z1
	VPDPBUSD  Z23, Z10, Z2
	VPDPBUSD  Z23, Z11, Z3
	ADDQ      $64, R11
	ADDQ      $256, DX
	DECQ      BX
	JNZ       chunk
	// Reduce the four accumulators (16 int32 lanes each) to four sums.
	VEXTRACTI64X4 $1, Z0, Y8
	VEXTRACTI64X4 $1, Z1, Y9
	VEXTRACTI64X4 $1, Z2, Y10
	VEXTRACTI64X4 $1, Z3, Y11
	VPADDD        Y8, Y0, Y0
	VPADDD        Y9, Y1, Y1
	VPADDD        Y10, Y2, Y2
	VPADDD        Y11, Y3, Y3
	VPHADDD       Y1, Y0, Y0 // [a01 a23 b01 b23 | a45 a67 b45 b67]
	VPHADDD       Y3, Y2, Y2 // the same for c and d
	VPHADDD       Y2, Y0, Y0 // [a b c d | a b c d], partial sums
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VMOVDQU       X0, (DI)
	LEAQ          (SI)(R10*4), SI
	ADDQ          $16, DI
	SUBQ          $4, CX
	JMP           quad
done:
	VZEROUPPER
	RET
