//go:build amd64 && !purego

#include "textflag.h"

// func scores1AVX2(codes *byte, nb int, lut *byte, out *uint16, blocks int)
// For each block of 32 templates (nb*32 bytes, layout in code1.go) writes
// the 32 one-bit scores Σ lut[nibble] to out. Table bytes are summed in
// 16-bit lanes: Y8 collects the words (even template + 256 * odd template),
// Y9 the odd templates alone; even = Y8 - Y9<<8.
TEXT ·scores1AVX2(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ nb+8(FP), R8
	MOVQ lut+16(FP), R9
	MOVQ out+24(FP), DI
	MOVQ blocks+32(FP), CX
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
block:
	TESTQ CX, CX
	JZ    done
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	MOVQ  R9, DX
	MOVQ  R8, BX
loop:
	VMOVDQU (SI), Y0
	VPAND   Y15, Y0, Y1
	VPSRLW  $4, Y0, Y2
	VPAND   Y15, Y2, Y2
	VMOVDQU (DX), Y3
	VMOVDQU 32(DX), Y4
	VPSHUFB Y1, Y3, Y1
	VPSHUFB Y2, Y4, Y2
	VPADDW  Y1, Y8, Y8
	VPSRLW  $8, Y1, Y1
	VPADDW  Y1, Y9, Y9
	VPADDW  Y2, Y8, Y8
	VPSRLW  $8, Y2, Y2
	VPADDW  Y2, Y9, Y9
	ADDQ    $32, SI
	ADDQ    $64, DX
	DECQ    BX
	JNZ     loop
	VPSLLW     $8, Y9, Y10
	VPSUBW     Y10, Y8, Y8   // even templates' sums
	VPUNPCKLWD Y9, Y8, Y10   // templates 0-7 | 16-23
	VPUNPCKHWD Y9, Y8, Y11   // templates 8-15 | 24-31
	VPERM2I128 $0x20, Y11, Y10, Y12
	VPERM2I128 $0x31, Y11, Y10, Y13
	VMOVDQU    Y12, (DI)
	VMOVDQU    Y13, 32(DI)
	ADDQ       $64, DI
	DECQ       CX
	JMP        block
done:
	VZEROUPPER
	RET
