; The nmi guest's NMI entry: saves the registers, calls nmi_handler() and
; returns with IRET, which is what ends the processor's blocking of NMIs
; (Intel SDM vol. 3A, 6.7.1). lib's stubs return with POPFD + RET, which
; would leave NMIs blocked.

section .text
bits 32
global nmi_entry
extern nmi_handler
nmi_entry:
	pushad
	cld
	call nmi_handler
	popad
	iretd
