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
	/* EXERCISE 1.realmode: Start the vCPU in 16-bit real mode at CS:IP.
	 *
	 * In real mode a segment's base is its selector times 16 and its
	 * limit is 64 KiB. Set CS to cs (base cs << 4) and DS, ES, FS, GS
	 * and SS to selector 0, all with a 0xFFFF limit; keep them present,
	 * as code/data segments (s = 1): code type 0xB, data type 0x3.
	 * Clear CR0.PE so the CPU really is in real mode. Set IP to ip,
	 * SP to the boot stack just below the image (0x7C00) and RFLAGS to
	 * 0x2 (bit 1 is reserved and must be 1).
	 *
	 * Tests: unit.realmode guest.hello16
	 * Stub: (void)sregs; (void)regs; (void)cs; (void)ip;
	 */
	struct kvm_segment *data[] = {
		&sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	unsigned int i;

	sregs->cs.selector = cs;
	sregs->cs.base = (uint64_t)cs << 4;
	sregs->cs.limit = 0xffff;
	sregs->cs.type = 0xb;
	sregs->cs.present = 1;
	sregs->cs.s = 1;
	sregs->cs.db = 0;
	sregs->cs.l = 0;
	sregs->cs.g = 0;
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		data[i]->selector = 0;
		data[i]->base = 0;
		data[i]->limit = 0xffff;
		data[i]->type = 0x3;
		data[i]->present = 1;
		data[i]->s = 1;
		data[i]->db = 0;
		data[i]->g = 0;
	}
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
