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
	MOVL $0x03030303, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x00010001, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
tmpl:
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
	JMP          tmpl
done:
	VZEROUPPER
	RET
