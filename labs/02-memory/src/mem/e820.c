/*
 * e820.c - the VMM's half of INT 15h, AX = E820h (book §2.2.4).
 *
 * The guest's boot code calls the BIOS once per entry of the memory map:
 *
 *   in:  EAX = E820h, EDX = "SMAP", EBX = continuation (0 for the first),
 *        ES:DI = a buffer, ECX = its size (at least 20 bytes)
 *   out: CF clear, EAX = "SMAP", ECX = bytes written (20), EBX = the
 *        continuation for the next call, 0 after the last entry; the
 *        entry (base: 8 bytes, length: 8 bytes, type: 4 bytes) at ES:DI
 *   or:  CF set and AH = 86h when the call cannot be answered.
 *
 * Our BIOS's INT 15h handler traps here (src/mem/bios.c); the entries are
 * those of the memory map (src/mem/memmap.c), in order, and the continuation
 * value is simply the number of the next entry.
 */
#include <errno.h>
#include <string.h>

#include "mem/e820.h"

/*
 * Set CF and AH = 86h ("function not supported"); the rest as it was.
 * Returns why. bios_int15() refuses the other functions the same way.
 */
int e820_fail(struct kvm_regs *regs, int why)
{
	regs->rflags |= RFLAGS_CF;
	regs->rax = (regs->rax & ~0xff00ULL) | (BIOS_ERR_UNSUPPORTED << 8);
	return why;
}

/*
 * Answer one E820 call from the registers the guest had at the INT.
 * Returns 0 when the entry was written, or a negative errno saying why
 * CF was set instead: -EINVAL (bad signature or buffer size), -ENOENT
 * (no such entry), -EFAULT (the buffer is not in writable guest RAM).
 */
int e820_call(const struct memmap *mm, struct kvm_regs *regs,
	      const struct kvm_sregs *sregs)
{
	/* EXERCISE 2.e820: INT 15h, AX = E820h, answered by the VMM.
	 *
	 * e820_call() - the BIOS's answer to one E820h call, computed from
	 * the registers the guest had at its INT 15h.
	 *	In: *regs and *sregs at the call (the convention is at the top
	 *	  of this file; the guest may be in real mode or in any other,
	 *	  and only the low halves it sets mean anything); mm, the
	 *	  memory map whose entries, in order, are the E820 map.
	 *	Out, on success: the entry the continuation value names,
	 *	  written as the 20 bytes of the ACPI address range descriptor
	 *	  at the buffer ES:DI (ES's base plus the 16-bit DI, the
	 *	  real-mode address, whatever the mode), nothing else written; EAX = "SMAP", ECX = 20,
	 *	  EBX = the next entry's continuation value, 0 after the last
	 *	  entry; CF clear. The high halves of RAX, RBX and RCX, and every
	 *	  other register, as they were. Returns 0.
	 *	Out, on refusal: e820_fail() (CF set, AH = 86h), nothing written,
	 *	  and the errno: -EINVAL for a wrong signature in EDX or a
	 *	  buffer size in ECX below 20; -ENOENT for a continuation value
	 *	  that names no entry; -EFAULT unless all 20 bytes of the buffer
	 *	  lie in one writable memslot (memmap_hva_rw() says where, or
	 *	  NULL).
	 *
	 * Read: the ACPI specification, "System Address Map Interfaces"
	 * (INT 15H, E820H: the registers, the continuation value, the
	 * descriptor); guests/README.md, "Lab 02: memory" (the BIOS calls
	 * and the map); Intel SDM vol. 3A, 20.1 (real-mode addresses).
	 *
	 * Tests: unit.e820 guest.e820 guest.e820-5g
	 * Stub: (void)mm; (void)sregs;
	 * return e820_fail(regs, -ENOSYS);
	 */
	uint64_t buf = sregs->es.base + (regs->rdi & 0xffff);
	uint32_t index = (uint32_t)regs->rbx;
	struct e820_entry e;
	void *p;

	if ((uint32_t)regs->rdx != E820_SMAP ||
	    (uint32_t)regs->rcx < E820_ENTRY_SIZE)
		return e820_fail(regs, -EINVAL);
	if (memmap_e820_entry(mm, index, &e) < 0)
		return e820_fail(regs, -ENOENT);
	p = memmap_hva_rw(mm, buf, E820_ENTRY_SIZE);
	if (!p)
		return e820_fail(regs, -EFAULT);
	memcpy(p, &e, E820_ENTRY_SIZE);

	index++;
	if (index == mm->nr)
		index = 0;
	regs->rax = (regs->rax & ~0xffffffffULL) | E820_SMAP;
	regs->rcx = (regs->rcx & ~0xffffffffULL) | E820_ENTRY_SIZE;
	regs->rbx = (regs->rbx & ~0xffffffffULL) | index;
	regs->rflags &= ~RFLAGS_CF;
	return 0;
	/* END EXERCISE 2.e820 */
}
