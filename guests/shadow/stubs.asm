; Exception entry for vectors 0-31 in 64-bit mode, the return without
; IRET, and the probes: single instructions whose fault the handler
; expects (see fault.h).
;
; On an exception at CPL 0 in 64-bit mode the CPU aligns RSP down to 16
; bytes and pushes SS, RSP, RFLAGS, CS, RIP and, for some vectors, an
; error code (Intel SDM vol. 3, 6.14.2). Each stub pushes a 0 where there
; is no error code, then the vector, and trap_common saves the registers
; and calls fault_dispatch(frame).

section .text
bits 64
extern fault_dispatch

; Vectors for which the CPU pushes an error code (Intel SDM vol. 3, 6.13).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 32
fault_stub_ %+ v:
%if HAS_ERROR(v) == 0
	push 0
%endif
	push v
	jmp fault_common
%assign v v + 1
%endrep

fault_common:
	push rax
	push rcx
	push rdx
	push rbx
	push rbp
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp		; struct fault_frame *
	cld
	call fault_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rbp
	pop rbx
	pop rdx
	pop rcx
	pop rax
	add rsp, 16		; vector and error code

	; Return without IRET: KVM's instruction emulator, which a software
	; KVM runs all CPL 0 code through, implements IRET in real mode only.
	; At the same privilege level IRETQ only restores RIP, RFLAGS and RSP
	; (CS and SS are what they were), so we build, just below the RSP to
	; return to, the words RCX, RBX, RAX, RFLAGS, RIP, switch to it and
	; POP, POPFQ, RET. The stack is now RIP, CS, RFLAGS, RSP, SS. The new
	; words may overlap the top of this frame (the CPU's frame starts
	; below that RSP, 16-byte aligned), so everything is read first; they
	; never reach the three registers saved below the frame.
	push rax
	push rbx
	push rcx
	mov rax, [rsp + 48]	; the RSP to return to
	mov rbx, [rsp + 24]	; RIP
	mov rcx, [rsp + 40]	; RFLAGS
	mov [rax - 8], rbx
	mov [rax - 16], rcx
	mov rbx, [rsp + 16]	; RAX
	mov [rax - 24], rbx
	mov rbx, [rsp + 8]	; RBX
	mov [rax - 32], rbx
	mov rbx, [rsp]		; RCX
	mov [rax - 40], rbx
	lea rsp, [rax - 40]
	pop rcx
	pop rbx
	pop rax
	popfq
	ret

; uint64_t probe_read(uint64_t va): one 8-byte load; the handler skips it.
global probe_read, probe_read_insn, probe_read_done
probe_read:
	xor eax, eax
probe_read_insn:
	mov rax, [rdi]
probe_read_done:
	ret

; void probe_write(uint64_t va, uint64_t value): one 8-byte store.
global probe_write, probe_write_insn, probe_write_done
probe_write:
probe_write_insn:
	mov [rdi], rsi
probe_write_done:
	ret

; void probe_exec(uint64_t va): call code at va (a RET, if it runs).
global probe_exec
probe_exec:
	call rdi
	ret

section .rodata
global fault_stubs
fault_stubs:
%assign v 0
%rep 32
	dq fault_stub_ %+ v
%assign v v + 1
%endrep
