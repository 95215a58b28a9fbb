/*
 * boot.c - the vCPU's first state, and the GDT that state needs.
 *
 * A real PC starts in real mode at 0xFFFF0 and firmware climbs to
 * protected and long mode. A VMM can skip the climb: it writes the
 * segment registers, control registers and (for long mode) the page
 * tables (pt.c) directly, then enters the guest at its entry point.
 * These functions only fill in structures; src/core/vcpu.c hands them
 * to KVM.
 */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "cpu/boot.h"

/* A flat segment: base 0, limit 4 GiB, present, ring 0. */
static void boot_flat_segment(struct kvm_segment *seg, uint16_t selector,
			      uint8_t type, int long_mode)
{
	*seg = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.s = 1,			/* code or data, not a system segment */
		.g = 1,			/* limit counts 4 KiB units */
		.db = long_mode ? 0 : 1,	/* L and D must not both be set */
		.l = long_mode,
	};
}

void boot_real_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
		    uint16_t cs, uint16_t ip)
{
	/* EXERCISE 1.realmode: The state a real-mode guest starts in.
	 *
	 * boot_real_mode() - the vCPU's state for a flat binary: a processor
	 * in real-address mode that has just jumped to cs:ip with DS, ES, FS,
	 * GS and SS loaded with 0 (guests/README.md, "Loading").
	 *	In: *sregs and *regs as KVM_GET_SREGS and KVM_GET_REGS gave
	 *	  them, which may hold anything (the state of another mode, or
	 *	  of a guest that ran before).
	 *	Out: every field of CS, DS, ES, FS, GS and SS (struct
	 *	  kvm_segment): the selector, and the hidden part a real-mode
	 *	  load gives it - the base from the selector, the limit of a
	 *	  real-mode segment, and the access rights of table 9-1 (a
	 *	  present, usable, 16-bit, byte-granular, ring-0 segment; CS an
	 *	  accessed execute/read code segment, the others accessed
	 *	  read/write data segments). CR0.PE and CR0.PG clear; the other
	 *	  CR0 bits, CR2-CR4, EFER, the descriptor tables and the rest of
	 *	  *sregs as they were. RIP = ip, RSP = BOOT_FLAT_LOAD (the stack
	 *	  grows down from the image), RFLAGS = 0x2 (bit 1 is always 1),
	 *	  every other general register 0.
	 *
	 * Read: Intel SDM vol. 3A, 20.1 "Real-Address Mode Operation" and
	 * 9.1.1 "Processor State After Reset" (table 9-1); vol. 3C, the
	 * checks on the guest's segment registers when "unrestricted guest"
	 * is 1 (chapter "VM Entries", "Checks on the Guest State Area");
	 * struct kvm_segment and KVM_SET_SREGS in the KVM API document.
	 *
	 * Tests: unit.realmode guest.hello16 guest.realmode
	 * Stub: (void)sregs; (void)regs; (void)cs; (void)ip;
	 */
	struct kvm_segment *data[] = {
		&sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	unsigned int i;

	/* Every field, the ones that are 0 too: *sregs may hold anything. */
	sregs->cs = (struct kvm_segment){
		.selector = cs,
		.base = (uint64_t)cs << 4,
		.limit = 0xffff,
		.type = 0xb,		/* execute/read, accessed */
		.present = 1,
		.dpl = 0,
		.db = 0,		/* 16-bit */
		.s = 1,			/* code or data, not a system segment */
		.l = 0,
		.g = 0,			/* the limit counts bytes */
		.avl = 0,
		.unusable = 0,
	};
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		*data[i] = (struct kvm_segment){
			.selector = 0,
			.base = 0,
			.limit = 0xffff,
			.type = 0x3,	/* read/write, accessed */
			.present = 1,
			.dpl = 0,
			.db = 0,
			.s = 1,
			.l = 0,
			.g = 0,
			.avl = 0,
			.unusable = 0,
		};
	sregs->cr0 &= ~(CR0_PE | CR0_PG);

	memset(regs, 0, sizeof(*regs));
	regs->rip = ip;
	regs->rsp = BOOT_FLAT_LOAD;
	regs->rflags = 0x2;
	/* END EXERCISE 1.realmode */
}

void boot_protected_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
			 uint32_t entry, uint32_t eax, uint32_t ebx)
{
	boot_flat_segment(&sregs->cs, BOOT_SEL_CODE, 0xb, 0);
	boot_flat_segment(&sregs->ds, BOOT_SEL_DATA, 0x3, 0);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->gdt.base = BOOT_GDT;
	sregs->gdt.limit = 3 * 8 - 1;
	sregs->cr0 = (sregs->cr0 | CR0_PE | CR0_ET) & ~CR0_PG;

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rax = eax;
	regs->rbx = ebx;
	regs->rsp = BOOT_STACK;
	regs->rflags = 0x2;
}

void boot_long_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
		    uint64_t entry)
{
	boot_flat_segment(&sregs->cs, BOOT_SEL_CODE, 0xb, 1);
	boot_flat_segment(&sregs->ds, BOOT_SEL_DATA, 0x3, 0);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->gdt.base = BOOT_GDT;
	sregs->gdt.limit = 3 * 8 - 1;

	/* Paging with PAE, then long mode: the order the SDM asks for. */
	sregs->cr3 = BOOT_PML4;
	sregs->cr4 |= CR4_PAE;
	sregs->cr0 |= CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs->efer |= EFER_LME | EFER_LMA;

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsp = BOOT_STACK;
	regs->rflags = 0x2;
}

/*
 * The GDT the segment registers above describe, so that a guest that
 * reloads a segment register gets the same segment back: null, code
 * (0x08), data (0x10). The descriptor layout is the SDM's (vol. 3, 3.4.5).
 */
int boot_gdt_build(uint8_t *ram, uint64_t ram_size, int long_mode)
{
	uint64_t gdt[3] = {
		0,
		long_mode ? 0x00af9a000000ffffULL : 0x00cf9a000000ffffULL,
		0x00cf92000000ffffULL,
	};

	if (ram_size < BOOT_GDT + sizeof(gdt))
		return err_set(-EINVAL, "guest RAM too small for the GDT");
	memcpy(ram + BOOT_GDT, gdt, sizeof(gdt));
	return 0;
}
