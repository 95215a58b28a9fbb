; The AP start-up trampoline (see smp.h). smp_start_ap() copies the bytes
; from ap_tramp_start to ap_tramp_end to AP_TRAMPOLINE (0x8000); a SIPI
; with vector 0x08 starts the AP there in real mode with CS = 0x0800 and
; IP = 0. The copy reaches its data through DS = CS, and its GDT through
; the absolute address it will have. Book section 1.4.

AP_TRAMPOLINE	equ 0x8000

section .rodata
bits 16
global ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	mov ax, cs
	mov ds, ax
	o32 lgdt [tramp_gdt_ptr - ap_tramp_start]
	mov eax, cr0
	or al, 1			; CR0.PE
	mov cr0, eax
	jmp dword 0x08:ap_entry32	; flat 32-bit code, in the guest image

align 8
tramp_gdt:
	dq 0
	dq 0x00cf9b000000ffff		; 0x08: 32-bit code, 4 GiB
	dq 0x00cf93000000ffff		; 0x10: data, 4 GiB
tramp_gdt_ptr:
	dw 3 * 8 - 1
	dd AP_TRAMPOLINE + (tramp_gdt - ap_tramp_start)
ap_tramp_end:

section .text
bits 32
extern ap_entry_c, ap_stack_top
ap_entry32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, [ap_stack_top]
	cld
	call ap_entry_c
.halt:
	cli
	hlt
	jmp .halt
