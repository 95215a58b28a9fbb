/*
 * A tiny IDT for 32-bit guests that take exceptions on purpose (the msr
 * guest's #GP). trap_init() loads our own flat GDT (the multiboot spec does
 * not promise a usable one) and an IDT for vectors 0-31. A vector with no
 * handler prints one line and stops the VM with TRAP_EXIT_CODE. Handlers
 * return with POPFD + RET rather than IRET (see trap32.asm).
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

#define TRAP_EXIT_CODE	127	/* status 255: an unexpected exception */

/* The stack trap32.asm builds: pushad, vector, error code, CPU frame. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector;
	uint32_t error;		/* 0 for vectors that push none */
	uint32_t eip, cs, eflags;
};

void trap_init(void);
/* The handler may change the frame (e.g. eip) before the return. */
void trap_set_handler(unsigned int vector, void (*fn)(struct trap_frame *));

#endif
