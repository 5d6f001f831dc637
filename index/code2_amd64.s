//go:build amd64 && !purego

#include "textflag.h"

// func scores2AVX2(codes *byte, blocks int, q *int8, out *int32, n int)
// For each of n templates (blocks*32 code bytes each, consecutive), out[i]
// = Σ q_j·u_j over its two-bit levels (layout in code2.go). Levels times
// query values are summed in int16 lanes: at most 8 blocks (1,024 values).
TEXT ·scores2AVX2(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ blocks+8(FP), R8
	MOVQ q+16(FP), R9
	MOVQ out+24(FP), DI
	MOVQ n+32(FP), CX
	MOVQ R8, R10
	SHLQ $5, R10 // stride in bytes
	MOVL $0x03030303, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x00010001, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
pair:
	CMPQ CX, $2
	JL   single
	// Two templates at once (SI and SI+stride): the query is loaded once a
	// block for both, and the two dependency chains overlap.
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	MOVQ  R9, DX
	MOVQ  R8, BX
	LEAQ  (SI)(R10*1), R11
pblk:
	VMOVDQU    (DX), Y10
	VMOVDQU    32(DX), Y11
	VMOVDQU    64(DX), Y12
	VMOVDQU    96(DX), Y13
	VMOVDQU    (SI), Y0
	VMOVDQU    (R11), Y5
	VPAND      Y15, Y0, Y1
	VPAND      Y15, Y5, Y6
	VPMADDUBSW Y10, Y1, Y1
	VPMADDUBSW Y10, Y6, Y6
	VPSRLW     $2, Y0, Y2
	VPSRLW     $2, Y5, Y7
	VPAND      Y15, Y2, Y2
	VPAND      Y15, Y7, Y7
	VPMADDUBSW Y11, Y2, Y2
	VPMADDUBSW Y11, Y7, Y7
	VPADDW     Y2, Y1, Y1
	VPADDW     Y7, Y6, Y6
	VPSRLW     $4, Y0, Y2
	VPSRLW     $4, Y5, Y7
	VPAND      Y15, Y2, Y2
	VPAND      Y15, Y7, Y7
	VPMADDUBSW Y12, Y2, Y2
	VPMADDUBSW Y12, Y7, Y7
	VPADDW     Y2, Y1, Y1
	VPADDW     Y7, Y6, Y6
	VPSRLW     $6, Y0, Y2
	VPSRLW     $6, Y5, Y7
	VPAND      Y15, Y2, Y2
	VPAND      Y15, Y7, Y7
	VPMADDUBSW Y13, Y2, Y2
	VPMADDUBSW Y13, Y7, Y7
	VPADDW     Y2, Y1, Y1
	VPADDW     Y7, Y6, Y6
	VPADDW     Y1, Y8, Y8
	VPADDW     Y6, Y9, Y9
	ADDQ       $32, SI
	ADDQ       $32, R11
	ADDQ       $128, DX
	DECQ       BX
	JNZ        pblk
	VPMADDWD     Y14, Y8, Y8
	VPMADDWD     Y14, Y9, Y9
	VPHADDD      Y9, Y8, Y8 // [a0+a1 a2+a3 b0+b1 b2+b3 | same for the high lanes]
	VEXTRACTI128 $1, Y8, X0
	VPADDD       X0, X8, X8 // [a01 a23 b01 b23] summed over lanes
	VPSHUFD      $0xB1, X8, X0
	VPADDD       X0, X8, X8 // [a a b b]
	VMOVD        X8, AX
	MOVL         AX, (DI)
	VPEXTRD      $2, X8, AX
	MOVL         AX, 4(DI)
	ADDQ         R10, SI // SI already moved one stride: skip the second template
	ADDQ         $8, DI
	SUBQ         $2, CX
	JMP          pair
single:
	TESTQ CX, CX
	JZ    done
	VPXOR Y8, Y8, Y8
	MOVQ  R9, DX
	MOVQ  R8, BX
blk:
	VMOVDQU    (SI), Y0
	VPAND      Y15, Y0, Y1
	VPSRLW     $2, Y0, Y2
	VPAND      Y15, Y2, Y2
	VPSRLW     $4, Y0, Y3
	VPAND      Y15, Y3, Y3
	VPSRLW     $6, Y0, Y4
	VPAND      Y15, Y4, Y4
	VPMADDUBSW (DX), Y1, Y1
	VPMADDUBSW 32(DX), Y2, Y2
	VPMADDUBSW 64(DX), Y3, Y3
	VPMADDUBSW 96(DX), Y4, Y4
	VPADDW     Y2, Y1, Y1
	VPADDW     Y4, Y3, Y3
	VPADDW     Y3, Y1, Y1
	VPADDW     Y1, Y8, Y8
	ADDQ       $32, SI
	ADDQ       $128, DX
	DECQ       BX
	JNZ        blk
	VPMADDWD     Y14, Y8, Y8
	VEXTRACTI128 $1, Y8, X0
	VPADDD       X0, X8, X8
	VPSHUFD      $0x4E, X8, X0
	VPADDD       X0, X8, X8
	VPSHUFD      $0xB1, X8, X0
	VPADDD       X0, X8, X8
	VMOVD        X8, AX
	MOVL         AX, (DI)
	ADDQ         $4, DI
	DECQ         CX
	JMP          single
done:
	VZEROUPPER
	RET
