; realmode: the whole real-mode state a flat binary starts in
; (guests/README.md, "Loading"): CS:IP = 0000:7C00, DS = ES = FS = GS =
; SS = 0, SP = 0x7C00, FLAGS = 0x2, every other general register 0, and
; CR0.PE clear. It checks, in this order, one line each:
;
;   1. CS       2. IP       3. DS       4. ES       5. FS       6. GS
;   7. SS       8. SP       9. FLAGS   10-16. AX, BX, CX, DX, SI, DI, BP
;  17-21. the hidden base of DS, ES, FS, GS and SS
;  22. CR0.PE (SMSW)
;
; A segment register has a hidden part, loaded with the selector in real
; mode: base = selector * 16. Checks 17-21 read one byte, `probe`, at the
; same offset through each data segment register as it was at entry; the
; code runs where CS:IP says, so CS's base is right, and through a right
; base the byte is PROBE. A base that was never set reads another byte.
; The segment limits (64 KiB) are left to unit.realmode: QEMU's
; emulator, on which the lab machine's KVM runs, does not check limits in
; real mode, so a guest cannot see them there.
;
; It ends by writing 0 to the exit device (status 1) when every check
; passed, or the number of the first failed check (status 2k + 1).

bits 16
org 0x7c00

DEBUG_PORT	equ 0xe9
EXIT_PORT	equ 0xf4
PROBE		equ 0xa5

start:
	; The entry state, before anything changes it. Stores go through CS,
	; whose base the code's own running proves.
	mov [cs:v_ax], ax
	mov [cs:v_bx], bx
	mov [cs:v_cx], cx
	mov [cs:v_dx], dx
	mov [cs:v_si], si
	mov [cs:v_di], di
	mov [cs:v_bp], bp
	mov [cs:v_sp], sp
	mov [cs:v_ds], ds
	mov [cs:v_es], es
	mov [cs:v_fs], fs
	mov [cs:v_gs], gs
	mov [cs:v_ss], ss
	mov [cs:v_cs], cs
	mov al, [ds:probe]
	mov [cs:v_bds], al
	mov al, [es:probe]
	mov [cs:v_bes], al
	mov al, [fs:probe]
	mov [cs:v_bfs], al
	mov al, [gs:probe]
	mov [cs:v_bgs], al
	mov al, [ss:probe]
	mov [cs:v_bss], al
	pushf				; on the stack at entry: SS and SP are known
	pop word [cs:v_flags]
	call .here
.here:
	pop word [cs:v_ip]
	sub word [cs:v_ip], .here - start
	smsw [cs:v_msw]

	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	cld

	mov si, greeting
	call puts
	; Each check: its label, the address of the value seen, the value
	; wanted and a mask of the bits compared (1-byte values have the
	; high byte of their word masked out).
	mov bx, checks
	mov byte [number], 1
.next:
	mov si, [bx]
	test si, si
	jz pass
	call put_number
	call puts
	mov di, [bx + 2]
	mov ax, [di]
	and ax, [bx + 6]
	mov [seen], ax
	call put_hex
	mov ax, [seen]
	cmp ax, [bx + 4]
	jne .bad
	mov si, msg_ok
	call puts
	add bx, 8
	inc byte [number]
	jmp .next
.bad:
	mov si, msg_want
	call puts
	mov ax, [bx + 4]
	call put_hex
	mov al, 10
	out DEBUG_PORT, al
	mov al, [number]
	out EXIT_PORT, al
.halt:
	hlt
	jmp .halt

pass:
	mov si, msg_pass
	call puts
	xor al, al
	out EXIT_PORT, al
	jmp start.halt

; The check number as two decimal digits, a dot and a space.
put_number:
	push si
	mov al, [number]
	aam				; AH = tens, AL = ones
	add ax, '00'
	xchg al, ah
	out DEBUG_PORT, al
	mov al, ah
	out DEBUG_PORT, al
	mov si, msg_dot
	call puts
	pop si
	ret

; The NUL-terminated string at DS:SI.
puts:
	lodsb
	test al, al
	jz .done
	out DEBUG_PORT, al
	jmp puts
.done:
	ret

; AX as "0x" and four hex digits.
put_hex:
	push ax
	mov si, msg_0x
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
	out DEBUG_PORT, al
	pop ax
	loop .digit
	ret

greeting:	db "realmode: the state at entry", 10, 0
msg_dot:	db ". ", 0
msg_0x:		db " = 0x", 0
msg_ok:		db " ok", 10, 0
msg_want:	db " BAD, want 0x", 0
msg_pass:	db "realmode: all 22 checks passed", 10, 0

l_cs:		db "CS", 0
l_ip:		db "IP", 0
l_ds:		db "DS", 0
l_es:		db "ES", 0
l_fs:		db "FS", 0
l_gs:		db "GS", 0
l_ss:		db "SS", 0
l_sp:		db "SP", 0
l_flags:	db "FLAGS", 0
l_ax:		db "AX", 0
l_bx:		db "BX", 0
l_cx:		db "CX", 0
l_dx:		db "DX", 0
l_si:		db "SI", 0
l_di:		db "DI", 0
l_bp:		db "BP", 0
l_bds:		db "the byte at DS:probe", 0
l_bes:		db "the byte at ES:probe", 0
l_bfs:		db "the byte at FS:probe", 0
l_bgs:		db "the byte at GS:probe", 0
l_bss:		db "the byte at SS:probe", 0
l_pe:		db "CR0.PE", 0

; label, value, wanted, mask
checks:
	dw l_cs, v_cs, 0x0000, 0xffff
	dw l_ip, v_ip, 0x7c00, 0xffff
	dw l_ds, v_ds, 0x0000, 0xffff
	dw l_es, v_es, 0x0000, 0xffff
	dw l_fs, v_fs, 0x0000, 0xffff
	dw l_gs, v_gs, 0x0000, 0xffff
	dw l_ss, v_ss, 0x0000, 0xffff
	dw l_sp, v_sp, 0x7c00, 0xffff
	dw l_flags, v_flags, 0x0002, 0xffff
	dw l_ax, v_ax, 0x0000, 0xffff
	dw l_bx, v_bx, 0x0000, 0xffff
	dw l_cx, v_cx, 0x0000, 0xffff
	dw l_dx, v_dx, 0x0000, 0xffff
	dw l_si, v_si, 0x0000, 0xffff
	dw l_di, v_di, 0x0000, 0xffff
	dw l_bp, v_bp, 0x0000, 0xffff
	dw l_bds, v_bds, PROBE, 0x00ff
	dw l_bes, v_bes, PROBE, 0x00ff
	dw l_bfs, v_bfs, PROBE, 0x00ff
	dw l_bgs, v_bgs, PROBE, 0x00ff
	dw l_bss, v_bss, PROBE, 0x00ff
	dw l_pe, v_msw, 0x0000, 0x0001
	dw 0

number:		db 0
seen:		dw 0
v_cs:		dw 0
v_ip:		dw 0
v_ds:		dw 0
v_es:		dw 0
v_fs:		dw 0
v_gs:		dw 0
v_ss:		dw 0
v_sp:		dw 0
v_flags:	dw 0
v_ax:		dw 0
v_bx:		dw 0
v_cx:		dw 0
v_dx:		dw 0
v_si:		dw 0
v_di:		dw 0
v_bp:		dw 0
v_bds:		dw 0
v_bes:		dw 0
v_bfs:		dw 0
v_bgs:		dw 0
v_bss:		dw 0
v_msw:		dw 0
probe:		db PROBE
