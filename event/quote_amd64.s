//go:build amd64 && !purego

#include "textflag.h"

// Sixteen copies of each byte the classifier compares with.
DATA quoteConsts<>+0x00(SB)/8, $0x1f1f1f1f1f1f1f1f // highest control byte
DATA quoteConsts<>+0x08(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA quoteConsts<>+0x10(SB)/8, $0x0202020202020202 // '<' | 0x02 == '>'
DATA quoteConsts<>+0x18(SB)/8, $0x0202020202020202
DATA quoteConsts<>+0x20(SB)/8, $0x3e3e3e3e3e3e3e3e // '>'
DATA quoteConsts<>+0x28(SB)/8, $0x3e3e3e3e3e3e3e3e
DATA quoteConsts<>+0x30(SB)/8, $0x2626262626262626 // '&'
DATA quoteConsts<>+0x38(SB)/8, $0x2626262626262626
DATA quoteConsts<>+0x40(SB)/8, $0x2222222222222222 // '"'
DATA quoteConsts<>+0x48(SB)/8, $0x2222222222222222
DATA quoteConsts<>+0x50(SB)/8, $0x5c5c5c5c5c5c5c5c // '\\'
DATA quoteConsts<>+0x58(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL quoteConsts<>(SB), RODATA|NOPTR, $96

// CLASSIFY sets, for the sixteen bytes in X0 (which it keeps), one bit per
// byte in R12 for '"' and '\\' (escaped here) and in R11 for every other
// byte that needs work: control bytes, bytes ≥ 0x80 (negative in a signed
// compare), '<', '>' and '&' (escaped by the Go side).
#define CLASSIFY \
	MOVO     X0, X7 \
	PCMPGTB  X1, X7 \
	MOVO     X0, X8 \
	POR      X2, X8 \
	PCMPEQB  X3, X8 \
	MOVO     X0, X9 \
	PCMPEQB  X4, X9 \
	POR      X9, X8 \
	MOVO     X0, X10 \
	PCMPEQB  X5, X10 \
	MOVO     X0, X11 \
	PCMPEQB  X6, X11 \
	POR      X11, X10 \
	PMOVMSKB X7, R11 \
	XORL     $0xffff, R11 \
	PMOVMSKB X8, R10 \
	ORL      R10, R11 \
	PMOVMSKB X10, R12

// EXPAND writes the eight bytes in the low half of X8, a backslash before
// each one whose bit is set in R10 (eight bits), at dst+BX and moves BX on.
#define EXPAND \
	MOVQ     R10, R11 \
	SHLQ     $4, R11 \
	MOVOU    (R8)(R11*1), X7 \
	PSHUFB   X7, X8 \
	MOVO     X8, X9 \
	PCMPEQB  X13, X9 \
	PAND     X6, X9 \
	POR      X9, X8 \
	MOVOU    X8, (DI)(BX*1) \
	MOVBLZX  (R14)(R10*1), R11 \
	ADDQ     R11, BX

// func quoteVec(dst, src *byte, n int) (w, r int)
//
// AX: bytes of src consumed; BX: bytes of dst written; CX: bytes left.
TEXT ·quoteVec(SB), NOSPLIT, $0-40
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  n+16(FP), DX
	XORQ  AX, AX
	XORQ  BX, BX
	MOVOU quoteConsts<>+0x00(SB), X1
	MOVOU quoteConsts<>+0x10(SB), X2
	MOVOU quoteConsts<>+0x20(SB), X3
	MOVOU quoteConsts<>+0x30(SB), X4
	MOVOU quoteConsts<>+0x40(SB), X5
	MOVOU quoteConsts<>+0x50(SB), X6
	PXOR  X13, X13
	LEAQ  ·quoteShuf(SB), R8
	LEAQ  ·quoteLen(SB), R14

loop:
	MOVQ DX, CX
	SUBQ AX, CX
	JZ   done
	LEAQ (SI)(AX*1), R9
	CMPQ CX, $32
	JB   near

	// At least 32 bytes left. A block whose only stops are quotes and
	// backslashes is expanded without a branch, eight bytes at a time: a
	// shuffle picked by the half's quote bits spreads its bytes out, leaving
	// a zero (no input byte here is zero) before each quoted byte, and the
	// zeros become backslashes.
	MOVOU (R9), X0
	CLASSIFY
	TESTL R11, R11
	JNZ   stop
	MOVL  R12, R10
	ANDL  $0xff, R10
	MOVO  X0, X8
	EXPAND
	PSHUFD $0xee, X0, X8
	MOVL  R12, R10
	SHRL  $8, R10
	EXPAND
	ADDQ  $16, AX
	JMP   loop

near:
	CMPQ CX, $16
	JAE  step

	// Fewer than sixteen bytes left: read sixteen only within one page.
	MOVQ R9, R10
	ANDQ $4095, R10
	CMPQ R10, $4080
	JA   done

step:
	// Near the end: one stop at a time, each read starting at AX.
	MOVOU (R9), X0
	CLASSIFY

stop:
	MOVOU X0, (DI)(BX*1)
	ORL   R12, R11
	CMPQ  CX, $16
	JAE   scan
	BTSL  CX, R11 // the end of src counts as a stop

scan:
	TESTL R11, R11
	JZ    whole
	BSFL  R11, R12
	ADDQ  R12, AX
	ADDQ  R12, BX
	CMPQ  AX, DX
	JAE   done
	MOVBLZX (SI)(AX*1), R13
	CMPL  R13, $0x22
	JEQ   escape
	CMPL  R13, $0x5c
	JNE   done

escape:
	MOVB $0x5c, (DI)(BX*1)
	MOVB R13, 1(DI)(BX*1)
	ADDQ $2, BX
	INCQ AX
	JMP  loop

whole:
	ADDQ $16, AX
	ADDQ $16, BX
	JMP  loop

done:
	MOVQ BX, w+24(FP)
	MOVQ AX, r+32(FP)
	RET
