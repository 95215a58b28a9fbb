; Entry of every ELF64 test guest. The VMM enters _start in 64-bit long mode
; with its own GDT and identity page tables (guests/README.md, "How guests
; are loaded"). We record the RSP we were given, switch to our own stack and
; call guest_main(); if it returns, the guest HLTs (status 0).

section .text
bits 64
global _start
extern guest_main
_start:
	mov [rel entry_rsp], rsp
	lea rsp, [rel stack_top]
	cld				; the C ABI wants DF clear
	call guest_main
.halt:
	cli
	hlt
	jmp .halt

section .bss
alignb 16
stack:
	resb 8192
stack_top:
global entry_rsp
entry_rsp:
	resq 1
