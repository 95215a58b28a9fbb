; hello16: a flat real-mode binary. The platform loads it at 0x7C00 and
; starts it at CS:IP = 0000:7C00 with DS = ES = SS = 0, SP = 0x7C00 and
; FLAGS = 0x2 (guests/README.md). It prints a greeting and the registers it
; found at entry, each line through port 0xE9, then HLTs (status 0).
; It is also a valid boot sector, so a PC BIOS can run it too (the
; registers a BIOS leaves differ from ours).

bits 16
org 0x7c00

start:
	; Save the entry state before touching anything. The stores use CS,
	; which the platform promises is 0, matching org 0x7C00.
	mov [cs:entry_ds], ds
	mov [cs:entry_es], es
	mov [cs:entry_ss], ss
	mov [cs:entry_sp], sp
	pushf
	pop word [cs:entry_flags]
	call .here			; IP of .here, to work out where we started
.here:
	pop word [cs:entry_ip]
	sub word [cs:entry_ip], .here - start
	mov [cs:entry_cs], cs

	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	cld

	mov si, greeting
	call puts
	mov si, msg_cs
	mov ax, [entry_cs]
	call put_reg
	mov si, msg_ip
	mov ax, [entry_ip]
	call put_reg
	mov si, msg_ds
	mov ax, [entry_ds]
	call put_reg
	mov si, msg_es
	mov ax, [entry_es]
	call put_reg
	mov si, msg_ss
	mov ax, [entry_ss]
	call put_reg
	mov si, msg_sp
	mov ax, [entry_sp]
	call put_reg
	mov si, msg_flags
	mov ax, [entry_flags]
	call put_reg
	mov al, 10
	out 0xe9, al
.halt:
	hlt
	jmp .halt

; Print the NUL-terminated string at DS:SI.
puts:
	lodsb
	test al, al
	jz .done
	out 0xe9, al
	jmp puts
.done:
	ret

; Print the string at DS:SI, then AX as four hex digits.
put_reg:
	push ax
	call puts
	pop ax
	mov cx, 4
.digit:
	rol ax, 4
	push ax
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '9' - 1
.out:
	out 0xe9, al
	pop ax
	loop .digit
	ret

greeting:	db "Hello from 16-bit real mode!", 10, 0
msg_cs:		db "entry: CS:IP=", 0
msg_ip:		db ":", 0
msg_ds:		db " DS=", 0
msg_es:		db " ES=", 0
msg_ss:		db " SS=", 0
msg_sp:		db " SP=", 0
msg_flags:	db " FLAGS=", 0

entry_cs:	dw 0
entry_ip:	dw 0
entry_ds:	dw 0
entry_es:	dw 0
entry_ss:	dw 0
entry_sp:	dw 0
entry_flags:	dw 0

	times 510 - ($ - $$) db 0
	dw 0xaa55			; boot-sector signature
