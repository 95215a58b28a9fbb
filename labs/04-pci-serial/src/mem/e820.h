/*
 * e820.h - INT 15h, AX = E820h, "query system address map": the call
 * by which a boot loader or kernel asks the BIOS for the memory map
 * (book §2.2.4; ACPI specification, "System Address Map Interfaces").
 */
#ifndef VMM_E820_H
#define VMM_E820_H

#include <linux/kvm.h>

#include "mem/memmap.h"

#define E820_FUNC		0xe820
#define E820_SMAP		0x534d4150U	/* "SMAP", the signature in EDX/EAX */
#define E820_ENTRY_SIZE		20		/* base, length, type */

#define RFLAGS_CF		(1ULL << 0)
#define BIOS_ERR_UNSUPPORTED	0x86		/* AH on failure */

int e820_call(const struct memmap *mm, struct kvm_regs *regs,
	      const struct kvm_sregs *sregs);
int e820_fail(struct kvm_regs *regs, int why);

#endif
