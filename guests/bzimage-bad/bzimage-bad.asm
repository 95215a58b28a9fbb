; bzimage-bad: the setup header of a bzImage (the x86 boot protocol,
; Documentation/arch/x86/boot.rst) and nothing worth running behind it,
; for the VMM's --kernel errors (lab 04's cli tests). Built twice:
;
;   bzimage-old.img   boot protocol 2.06 (VERSION=0x0206): older than the
;                     2.12 our loader needs for the 64-bit entry
;   bzimage-tiny.img  protocol 2.15, not relocatable, loaded at 1 MiB,
;                     needing 512 KiB there (init_size), its initrd below
;                     1.5 MiB (initrd_addr_max), a command line of 32
;                     bytes at most: every limit small enough to pass
;                     with a small --mem, a small file or a long --append
;
; Its one "kernel" sector at the 64-bit entry (0x200 into it) is HLT.

%ifndef VERSION
%define VERSION 0x020F
%endif

	bits 16
	org 0

SETUP_SECTS	equ 1

	times 0x1F1 - ($ - $$) db 0
	db SETUP_SECTS		; 0x1F1 setup_sects
	dw 0			; 0x1F2 root_flags
	dd 0			; 0x1F4 syssize
	dw 0			; 0x1F8 ram_size
	dw 0xFFFF		; 0x1FA vid_mode
	dw 0			; 0x1FC root_dev
	dw 0xAA55		; 0x1FE boot_flag
	db 0xEB, hdr_end - 0x202	; 0x200 jump over the header
	db "HdrS"		; 0x202 header
	dw VERSION		; 0x206 version
	dd 0			; 0x208 realmode_swtch
	dw 0			; 0x20C start_sys_seg
	dw 0			; 0x20E kernel_version
	db 0			; 0x210 type_of_loader
	db 0x01			; 0x211 loadflags: LOADED_HIGH
	dw 0			; 0x212 setup_move_size
	dd 0x100000		; 0x214 code32_start
	dd 0			; 0x218 ramdisk_image
	dd 0			; 0x21C ramdisk_size
	dd 0			; 0x220 bootsect_kludge
	dw 0			; 0x224 heap_end_ptr
	db 0			; 0x226 ext_loader_ver
	db 0			; 0x227 ext_loader_type
	dd 0			; 0x228 cmd_line_ptr
	dd 0x17FFFF		; 0x22C initrd_addr_max
	dd 0x200000		; 0x230 kernel_alignment
	db 0			; 0x234 relocatable_kernel: no
	db 0			; 0x235 min_alignment
	dw 0x0001		; 0x236 xloadflags: XLF_KERNEL_64
	dd 32			; 0x238 cmdline_size
	dd 0			; 0x23C hardware_subarch
	dq 0			; 0x240 hardware_subarch_data
	dd 0			; 0x248 payload_offset
	dd 0			; 0x24C payload_length
	dq 0			; 0x250 setup_data
	dq 0x100000		; 0x258 pref_address
	dd 0x80000		; 0x260 init_size
	dd 0			; 0x264 handover_offset
	dd 0			; 0x268 kernel_info_offset
hdr_end:
	times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0

	; The protected-mode "kernel": its 64-bit entry at 0x200 halts.
	times 0x200 db 0xF4
	times 0x200 db 0xF4
