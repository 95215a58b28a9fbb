; bios.asm - the VMM's BIOS: the 64 KiB ROM at 0xF0000 (book §2.2.3-2.2.4).
;
; A PC's BIOS finds the memory, builds the interrupt vector table and then
; answers the INT calls of the boot loader. Ours does the least a boot
; sector needs. The VMM builds the IVT itself, from the vector table below,
; and fills in the BIOS data area (src/mem/bios.c); the code here only answers
; the calls. For the one that needs the VMM - INT 15h, which includes the
; E820 memory map - the handler traps to the VMM with an OUT to the
; hypercall port: while that exit is handled, the VMM reads the caller's
; registers, writes its answer into them (and into memory at ES:DI), and
; sets or clears CF.
;
; Layout, as offsets in segment F000:
;   0x0000  header: "VMMLAB BIOS\0", a version word, the vector table's offset
;   0x0010  the vector table: 256 words, the handler offset of each vector
;   0x0210  the handlers
;   0xfff0  the reset vector (unused: the VMM starts every guest itself)
;
; Assembled with `nasm -f bin` at build time and linked into the VMM
; (src/mem/bios/bios_image.S).

bits 16
org 0

BIOS_HCALL_PORT	equ 0xea	; src/mem/bios.h: BIOS_HCALL_PORT
BDA_SEG		equ 0x40	; the BIOS data area at 0x400
BDA_BASE_MEM	equ 0x13	; word: conventional memory in KiB

header:
	db "VMMLAB BIOS", 0
	dw 1				; version
	dw vectors

	times 0x10 - ($ - $$) db 0
vectors:
%assign v 0
%rep 256
%if v == 0x12
	dw int12
%elif v == 0x15
	dw int15
%else
	dw int_none
%endif
%assign v v + 1
%endrep

; A vector with nothing behind it returns at once, flags as they were.
int_none:
	iret

; INT 12h: the size of conventional memory in KiB, from the BIOS data area
; (the memory below the EBDA).
int12:
	push ds
	push word BDA_SEG
	pop ds
	mov ax, [BDA_BASE_MEM]
	pop ds
	iret

; excerpt: int15
; INT 15h: system services, answered by the VMM at the OUT. The answer's
; CF is in the live FLAGS, but IRET reloads the caller's FLAGS from the
; stack: copy CF into that image first. Stack after `push bp`:
; [bp] old BP, [bp+2] IP, [bp+4] CS, [bp+6] FLAGS.
int15:
	out BIOS_HCALL_PORT, al
	push bp
	mov bp, sp
	jc .carry
	and byte [bp + 6], 0xfe
	pop bp
	iret
.carry:
	or byte [bp + 6], 0x01
	pop bp
	iret
; end excerpt: int15

	times 0xfff0 - ($ - $$) db 0
reset:
	cli
.halt:
	hlt
	jmp .halt

	times 0x10000 - ($ - $$) db 0
