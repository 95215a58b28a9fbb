; Multiboot v1 header and 32-bit entry of every ELF32 test guest.
; The loader (our VMM, or QEMU's -kernel) enters _start in 32-bit protected
; mode, paging off, with EAX = 0x2BADB002 and EBX = the multiboot information
; (guests/README.md, "How guests are loaded"). We keep both, switch to our
; own stack and call guest_main(); if it returns, the guest HLTs (status 0).

MB_MAGIC	equ 0x1badb002
MB_FLAGS	equ 1 << 1		; please fill in mem_lower and mem_upper
MB_CHECKSUM	equ -(MB_MAGIC + MB_FLAGS)

section .multiboot
align 4
	dd MB_MAGIC, MB_FLAGS, MB_CHECKSUM

section .text
bits 32
global _start
extern guest_main
_start:
	mov [multiboot_magic], eax
	mov [multiboot_info], ebx
	mov esp, stack_top
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
global multiboot_magic, multiboot_info
multiboot_magic:
	resd 1
multiboot_info:
	resd 1
