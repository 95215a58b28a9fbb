; e820: the memory map as the BIOS reports it (book §2.2.3-2.2.4).
;
; A flat real-mode binary, loaded at 0x7C00 and started there with the
; lab 02 BIOS in place (guests/README.md, "Lab 02: memory"). It asks
; INT 12h for the size of conventional memory, then walks the map with
; INT 15h, AX = E820h, printing one line per entry, and checks the calling
; convention of the ACPI specification ("System Address Map Interfaces")
; on every call:
;
;   2. CF is clear                3. EAX = 'SMAP'
;   4. ECX = 20, the entry size   5. nothing is written past those 20 bytes
;   6. the walk ends (EBX = 0) within 32 entries
;
; then that three bad calls fail with CF set, AH = 86h ("function not
; supported") and not a byte of the buffer written:
;
;   7. EDX is not 'SMAP'          8. EBX is not a continuation value
;   9. ECX (the buffer size) is 19
;
; The type is printed whole, all 32 bits, so a type with stray high bits
; does not read as a valid one.
;
; Check 1 is INT 12h's answer, 636 KiB (the memory below the EBDA), and
; check 10 that the BIOS ROM is read-only: a byte written to F000:0000
; reads back as it was, the "V" of its "VMMLAB BIOS" header.
; It ends by writing 0 to the exit device (status 1) when every check
; passed, or the number of the first failed check.

bits 16
org 0x7c00

SMAP		equ 0x534d4150		; "SMAP"
DEBUG_PORT	equ 0xe9
EXIT_PORT	equ 0xf4
MAX_ENTRIES	equ 32

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	cld

	; 1. INT 12h: AX = KiB of conventional memory.
	int 0x12
	mov si, msg_int12
	call puts
	call put_dec
	mov si, msg_kib
	call puts
	mov bl, 1
	cmp ax, 636
	jne fail

	; The walk: EBX = 0 first, then whatever the last call returned.
	xor ebx, ebx
.next:
	mov [cont], ebx
	call fill_buf

	mov eax, 0xe820
	mov ebx, [cont]
	mov ecx, BUF_SIZE
	mov edx, SMAP
	mov di, buf
	int 0x15
	mov [cont], ebx			; the continuation for the next call
	mov [ret_ecx], ecx
	mov bl, 2
	jc fail
	mov bl, 3
	cmp eax, SMAP
	jne fail

	mov si, msg_entry		; "e820: entry N: base 0x... length 0x... type T"
	call puts
	mov ax, [count]
	call put_dec
	mov si, msg_base
	call puts
	mov eax, [buf + 4]
	call put_hex32
	mov eax, [buf]
	call put_hex32
	mov si, msg_length
	call puts
	mov eax, [buf + 12]
	call put_hex32
	mov eax, [buf + 8]
	call put_hex32
	mov si, msg_type
	call puts
	mov eax, [buf + 16]
	call put_dec32
	call newline

	mov bl, 4
	cmp dword [ret_ecx], 20
	jne fail
	mov bl, 5
	cmp dword [buf + 20], 0xaaaaaaaa
	jne fail
	inc word [count]
	mov bl, 6
	cmp word [count], MAX_ENTRIES
	jae fail
	mov ebx, [cont]
	test ebx, ebx
	jnz .next

	mov si, msg_walk
	call puts
	mov ax, [count]
	call put_dec
	mov si, msg_walk2
	call puts

	; 7. EDX is not the signature.
	call fill_buf
	mov eax, 0xe820
	xor ebx, ebx
	mov ecx, BUF_SIZE
	mov edx, 0x12345678
	mov di, buf
	int 0x15
	mov bl, 7
	call refused
	jne fail
	mov si, msg_bad_edx
	call puts

	; 8. A continuation value the BIOS never gave out.
	call fill_buf
	mov eax, 0xe820
	mov ebx, 0x1234
	mov ecx, BUF_SIZE
	mov edx, SMAP
	mov di, buf
	int 0x15
	mov bl, 8
	call refused
	jne fail
	mov si, msg_bad_ebx
	call puts

	; 9. A buffer smaller than one entry.
	call fill_buf
	mov eax, 0xe820
	xor ebx, ebx
	mov ecx, 19
	mov edx, SMAP
	mov di, buf
	int 0x15
	mov bl, 9
	call refused
	jne fail
	mov si, msg_bad_ecx
	call puts

	; 10. The ROM ignores writes.
	push es
	mov ax, 0xf000
	mov es, ax
	mov byte [es:0], 'X'
	mov al, [es:0]
	pop es
	mov bl, 10
	cmp al, 'V'
	jne fail
	mov si, msg_rom
	call puts

	mov si, msg_pass
	call puts
	mov al, 0
	out EXIT_PORT, al
	jmp halt

; BL = the number of the failed check: say so, exit with it.
fail:
	mov si, msg_fail
	call puts
	xor ax, ax
	mov al, bl
	call put_dec
	call newline
	mov al, bl
	out EXIT_PORT, al
halt:
	hlt
	jmp halt

; Fill the buffer with the pattern 0xAA.
fill_buf:
	push ax
	push cx
	push di
	mov di, buf
	mov al, 0xaa
	mov cx, BUF_SIZE
	rep stosb
	pop di
	pop cx
	pop ax
	ret

; After a call that must fail: ZF set when CF was set, AH = 86h and the
; buffer still holds the pattern, ZF clear otherwise. Keeps BL.
refused:
	jnc .no
	cmp ah, 0x86
	jne .no
	push cx
	push si
	mov si, buf
	mov cx, BUF_SIZE
.byte:
	cmp byte [si], 0xaa
	jne .written
	inc si
	loop .byte
	pop si
	pop cx
	cmp al, al			; ZF = 1: refused as it should be
	ret
.written:
	pop si
	pop cx
.no:
	or sp, sp			; ZF = 0 (SP is never 0 here)
	ret

; Print the NUL-terminated string at DS:SI.
puts:
	push ax
.loop:
	lodsb
	test al, al
	jz .done
	out DEBUG_PORT, al
	jmp .loop
.done:
	pop ax
	ret

newline:
	push ax
	mov al, 10
	out DEBUG_PORT, al
	pop ax
	ret

; Print EAX as 8 hex digits.
put_hex32:
	push eax
	push cx
	mov cx, 8
.digit:
	rol eax, 4
	push eax
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '9' - 1
.out:
	out DEBUG_PORT, al
	pop eax
	loop .digit
	pop cx
	pop eax
	ret

; Print EAX in decimal, all 32 bits.
put_dec32:
	push eax
	push ebx
	push cx
	push edx
	xor cx, cx
	mov ebx, 10
.divide:
	xor edx, edx
	div ebx
	push dx
	inc cx
	test eax, eax
	jnz .divide
.print:
	pop ax
	add al, '0'
	out DEBUG_PORT, al
	loop .print
	pop edx
	pop cx
	pop ebx
	pop eax
	ret

; Print AX in decimal.
put_dec:
	push ax
	push bx
	push cx
	push dx
	xor cx, cx
	mov bx, 10
.divide:
	xor dx, dx
	div bx
	push dx
	inc cx
	test ax, ax
	jnz .divide
.print:
	pop ax
	add al, '0'
	out DEBUG_PORT, al
	loop .print
	pop dx
	pop cx
	pop bx
	pop ax
	ret

msg_int12:	db "e820: INT 12h: ", 0
msg_kib:	db " KiB of conventional memory", 10, 0
msg_entry:	db "e820: entry ", 0
msg_base:	db ": base 0x", 0
msg_length:	db " length 0x", 0
msg_type:	db " type ", 0
msg_walk:	db "e820: ", 0
msg_walk2:	db " entries, each with CF clear, EAX = 'SMAP', ECX = 20; EBX = 0 after the last", 10, 0
msg_bad_edx:	db "e820: EDX != 'SMAP': CF set", 10, 0
msg_bad_ebx:	db "e820: EBX = 0x1234, not a continuation value: CF set", 10, 0
msg_bad_ecx:	db "e820: ECX = 19, smaller than an entry: CF set", 10, 0
msg_rom:	db "e820: a byte written to the BIOS ROM at F000:0000 still reads 'V'", 10, 0
msg_pass:	db "e820: all checks passed", 10, 0
msg_fail:	db "e820: check failed: ", 0

align 4
cont:		dd 0
ret_ecx:	dd 0
count:		dw 0
BUF_SIZE	equ 24
buf:		times BUF_SIZE db 0
