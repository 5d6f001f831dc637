//go:build amd64 && !purego

#include "textflag.h"

// func dot8AVX2(a, b *int8, n int) int32
// n must be a multiple of 32.
TEXT ·dot8AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
loop:
	CMPQ CX, $32
	JL   done
	VPMOVSXBW (SI), Y0
	VPMOVSXBW 16(SI), Y1
	VPMOVSXBW (DI), Y2
	VPMOVSXBW 16(DI), Y3
	VPMADDWD Y2, Y0, Y0
	VPMADDWD Y3, Y1, Y1
	VPADDD Y0, Y6, Y6
	VPADDD Y1, Y7, Y7
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, CX
	JMP  loop
done:
	VPADDD Y7, Y6, Y6
	VEXTRACTI128 $1, Y6, X0
	VPADDD X0, X6, X6
	VPSHUFD $0x4E, X6, X0
	VPADDD X0, X6, X6
	VPSHUFD $0xB1, X6, X0
	VPADDD X0, X6, X6
	VMOVD X6, AX
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// func dot8RowsAVX2(q, base *int8, d int, slots *int, n int, out *int32)
// out[i] = q · row slots[i] of base (rows d bytes apart; d a multiple of
// 64), for i < n. The rows are scattered, so each loop first prefetches the
// row eight slots ahead: the misses of several rows overlap instead of
// arriving one row at a time.
TEXT ·dot8RowsAVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), R8
	MOVQ base+8(FP), R9
	MOVQ d+16(FP), R10
	MOVQ slots+24(FP), R11
	MOVQ n+32(FP), R12
	MOVQ out+40(FP), DI
	XORQ R13, R13 // i
row:
	CMPQ R13, R12
	JGE  rdone
	LEAQ 8(R13), AX
	CMPQ AX, R12
	JGE  noprefetch
	MOVQ (R11)(AX*8), BX
	IMULQ R10, BX
	ADDQ R9, BX
	MOVQ R10, CX
pf:
	PREFETCHT0 (BX)
	ADDQ $64, BX
	SUBQ $64, CX
	JG   pf
noprefetch:
	MOVQ (R11)(R13*8), SI
	IMULQ R10, SI
	ADDQ R9, SI
	MOVQ R8, DX
	MOVQ R10, CX
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
rloop:
	VPMOVSXBW (SI), Y0
	VPMOVSXBW 16(SI), Y1
	VPMOVSXBW (DX), Y2
	VPMOVSXBW 16(DX), Y3
	VPMADDWD Y2, Y0, Y0
	VPMADDWD Y3, Y1, Y1
	VPADDD Y0, Y6, Y6
	VPADDD Y1, Y7, Y7
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $32, CX
	JG   rloop
	VPADDD Y7, Y6, Y6
	VEXTRACTI128 $1, Y6, X0
	VPADDD X0, X6, X6
	VPSHUFD $0x4E, X6, X0
	VPADDD X0, X6, X6
	VPSHUFD $0xB1, X6, X0
	VPADDD X0, X6, X6
	VMOVD X6, AX
	MOVL AX, (DI)(R13*4)
	INCQ R13
	JMP  row
rdone:
	VZEROUPPER
	RET
