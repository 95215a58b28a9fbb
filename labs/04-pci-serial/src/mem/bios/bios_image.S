/*
 * bios_image.S - puts the assembled BIOS (bios.asm, built into
 * BIOS_BIN by the Makefile) into the VMM as the bytes bios_image[]
 * up to bios_image_end[] (book §2.2.3). src/mem/bios.c copies them into the
 * ROM memslot at 0xF0000.
 */
	.section .rodata
	.balign 16
	.globl bios_image
	.globl bios_image_end
bios_image:
	.incbin BIOS_BIN
bios_image_end:

	/* No executable stack needed (the linker warns without this note). */
	.section .note.GNU-stack, "", @progbits
