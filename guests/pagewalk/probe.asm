; The pagewalk guest's machine-level pieces (see main.c):
;  - cpu_probe(addr, kind): make one access (0 read, 1 write, 2 fetch) at a
;    guest-virtual address; returns 0, or 1 when it took a #PF. The #PF
;    handler (trap.c's in 32-bit mode, pf64 below in long mode) resumes at
;    probe_fault after recording the error code and CR2;
;  - lm_enter(pml4): from protected mode with paging on, into long mode
;    (IA-32e mode) in its compatibility sub-mode: the 32-bit code goes on
;    running, now translated by the 4-level tables (Intel SDM vol. 3,
;    9.8.5 "Initializing IA-32e Mode");
;  - the 64-bit exception handlers that IA-32e mode requires, even for
;    compatibility-mode code. They cannot return with IRET (software KVMs
;    do not emulate it outside real mode): #PF goes back to compatibility
;    mode with a far JMP to probe_fault, on the stack of the fault.

CODE32_SEL	equ 0x08
EFER_MSR	equ 0xc0000080
EFER_LME	equ 1 << 8
EFER_NXE	equ 1 << 11
CR0_PG		equ 1 << 31
CR4_PAE		equ 1 << 5
DEBUG_PORT	equ 0xe9
EXIT_PORT	equ 0xf4
UNEXPECTED	equ 127

section .text
bits 32

global cpu_probe, probe_read_insn, probe_write_insn, probe_fault
global lm_enter, exc64_stubs
global pf_error, pf_cr2, probe_fetch_addr

; int cpu_probe(uint32_t addr, uint32_t kind)
cpu_probe:
	mov ecx, [esp + 4]
	mov eax, [esp + 8]
	cmp eax, 1
	je probe_write_insn
	cmp eax, 2
	je probe_fetch
probe_read_insn:
	mov al, [ecx]
	xor eax, eax
	ret
probe_write_insn:
	mov byte [ecx], 0x5a
	xor eax, eax
	ret
probe_fetch:
	; The page holds "jmp edx" (ff e2) at addr: it comes straight back.
	mov [probe_fetch_addr], ecx
	mov edx, probe_back
	jmp ecx
probe_back:
	mov dword [probe_fetch_addr], 1
	xor eax, eax
	ret
probe_fault:
	mov dword [probe_fetch_addr], 1
	mov eax, 1
	ret

; void lm_enter(uint32_t pml4): the 64-bit GDT and IDT must be loaded.
lm_enter:
	mov edx, [esp + 4]
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax			; paging off: we run identity-mapped
	mov cr3, edx
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov ecx, EFER_MSR
	rdmsr
	or eax, EFER_LME | EFER_NXE
	wrmsr
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax			; LMA = 1: compatibility mode
	ret

bits 64

; The #PF handler: only the probe's own access may fault.
pf64:
	mov eax, [rsp]			; error code
	mov [pf_error], eax
	mov rax, cr2
	mov [pf_cr2], eax
	shr rax, 32
	mov [pf_cr2 + 4], eax
	mov rax, [rsp + 8]		; RIP
	cmp rax, probe_read_insn
	je .ours
	cmp rax, probe_write_insn
	je .ours
	cmp eax, [probe_fetch_addr]
	je .ours
	mov bl, 14
	jmp exc64_unexpected
.ours:
	mov rsp, [rsp + 32]		; the stack of the fault
	jmp dword far [pf_resume]	; CS:EIP = 0x08:probe_fault

; Anything else: say which vector, stop with status (127 << 1) | 1.
exc64_unexpected:
	mov esi, unexpected_msg
.msg:
	lodsb
	test al, al
	jz .vector
	out DEBUG_PORT, al
	jmp .msg
.vector:
	mov al, bl
	shr al, 4
	call hex_digit
	mov al, bl
	and al, 0xf
	call hex_digit
	mov al, 10
	out DEBUG_PORT, al
	mov al, UNEXPECTED
	out EXIT_PORT, al
.stop:
	cli
	hlt
	jmp .stop

hex_digit:
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '9' - 1
.out:
	out DEBUG_PORT, al
	ret

%assign v 0
%rep 32
exc64_ %+ v:
%if v == 14
	jmp pf64
%else
	mov bl, v
	jmp exc64_unexpected
%endif
%assign v v + 1
%endrep

section .rodata
unexpected_msg:
	db "pagewalk: unexpected exception in long mode, vector 0x", 0
align 4
exc64_stubs:
%assign v 0
%rep 32
	dd exc64_ %+ v
%assign v v + 1
%endrep

section .data
align 4
pf_resume:
	dd probe_fault
	dw CODE32_SEL
align 4
probe_fetch_addr:
	dd 1				; never an EIP we fault at
pf_error:
	dd 0
align 8
pf_cr2:
	dq 0
