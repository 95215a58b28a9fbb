; Entry stubs for all 256 vectors (see trap.h): exceptions 0-31 and the
; interrupts of lab 03. Each stub makes the stack look the same, with or
; without a CPU error code, and jumps to trap_common, which saves the
; registers and calls trap_dispatch(frame).

section .text
bits 32
extern trap_dispatch

; Vectors for which the CPU pushes an error code (Intel SDM vol. 3, 6.13).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
trap_stub_ %+ v:
%if HAS_ERROR(v) == 0
	push 0
%endif
	push v
	jmp trap_common
%assign v v + 1
%endrep

trap_common:
	pushad
	push esp		; struct trap_frame *
	cld
	call trap_dispatch
	add esp, 4
	popad
	add esp, 8		; vector and error code

	; Return without IRET: KVM's instruction emulator, which software
	; KVMs run CPL0 code through, implements IRET in real mode only.
	; For an exception or interrupt taken at our own privilege level on
	; our own stack, POPFD + RET does the same, with one difference: only
	; IRET ends the blocking of NMIs, so an NMI handler needs its own
	; (the nmi guest has one). Nor is POPFD + RET atomic: an interrupt may
	; arrive between the two and nest one frame deeper, which is harmless. The stack is EIP, CS, EFLAGS; turn it
	; into (unused), EFLAGS, EIP.
	push eax
	mov eax, [esp + 4]	; EIP
	xchg eax, [esp + 12]	; EIP into the EFLAGS slot, EFLAGS into eax
	mov [esp + 8], eax	; EFLAGS into the CS slot
	pop eax
	add esp, 4
	popfd
	ret

section .rodata
global trap_stubs
trap_stubs:
%assign v 0
%rep 256
	dd trap_stub_ %+ v
%assign v v + 1
%endrep
