/*
 * hello64: an ELF64 guest in C, entered by the VMM directly in 64-bit long
 * mode. It prints what the platform promises for that entry (guests/README.md,
 * "How guests are loaded"): CR0.PE|PG, CR4.PAE, EFER.LME|LMA, code selector
 * 0x08, data selectors 0x10, the GDT at 0x1000, the PML4 at 0x2000 and
 * RSP = 0x80000. Running this very code, compiled for 64-bit mode, already
 * shows CS is a 64-bit segment. Ends with HLT (status 0).
 */
#include <stdint.h>
#include "console.h"

#define CR0_PE		(1ul << 0)
#define CR0_PG		(1ul << 31)
#define CR4_PAE		(1ul << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1ul << 8)
#define EFER_LMA	(1ul << 10)

extern uint64_t entry_rsp;	/* saved by entry64.asm */

void guest_main(void);

static uint64_t rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static unsigned int bit(uint64_t v, uint64_t mask)
{
	return !!(v & mask);
}

void guest_main(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr;
	uint64_t cr0, cr3, cr4, efer;
	uint16_t cs, ds, es, ss;

	con_puts("Hello from 64-bit long mode!\n");

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	efer = rdmsr(MSR_EFER);
	con_printf("CR0.PE=%u CR0.PG=%u CR4.PAE=%u EFER.LME=%u EFER.LMA=%u\n",
		   bit(cr0, CR0_PE), bit(cr0, CR0_PG), bit(cr4, CR4_PAE),
		   bit(efer, EFER_LME), bit(efer, EFER_LMA));

	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("mov %%ds, %0" : "=r"(ds));
	asm volatile("mov %%es, %0" : "=r"(es));
	asm volatile("mov %%ss, %0" : "=r"(ss));
	con_printf("CS=0x%02x DS=0x%02x ES=0x%02x SS=0x%02x\n", cs, ds, es, ss);

	asm volatile("sgdt %0" : "=m"(gdtr));
	/* CR3's low 12 bits are cache-control flags, not part of the address. */
	con_printf("GDT at 0x%llx, PML4 at 0x%llx, RSP at entry 0x%llx\n",
		   (unsigned long long)gdtr.base,
		   (unsigned long long)(cr3 & ~0xfffull),
		   (unsigned long long)entry_rsp);
}
