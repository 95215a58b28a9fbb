/*
 * GDT and IDT for 32-bit guests that take exceptions (see trap.h).
 */
#include "console.h"
#include "desc.h"
#include "platform.h"
#include "trap.h"

#define NVECTORS	256
#define CODE_SEL	0x08
#define DATA_SEL	0x10

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;		/* present, DPL 0, 32-bit interrupt gate */
	uint16_t offset_hi;
} __attribute__((packed));

/* Flat 4 GiB code and data (desc.h). */
static const uint64_t gdt[] = {
	0,
	GDT_CODE32,		/* 0x08: CODE_SEL */
	GDT_DATA,		/* 0x10: DATA_SEL */
};

static struct idt_gate idt[NVECTORS];
static void (*handlers[NVECTORS])(struct trap_frame *);
extern const uint32_t trap_stubs[NVECTORS];

static void load_gdt(void)
{
	struct desc_ptr d = { sizeof(gdt) - 1, (uintptr_t)gdt };

	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "mov %2, %%ds\n\t"
		     "mov %2, %%es\n\t"
		     "mov %2, %%fs\n\t"
		     "mov %2, %%gs\n\t"
		     "mov %2, %%ss"
		     : : "m"(d), "i"(CODE_SEL), "r"(DATA_SEL) : "memory");
}

static void set_gate(unsigned int v, uint32_t entry)
{
	idt[v].offset_lo = entry & 0xffff;
	idt[v].selector = CODE_SEL;
	idt[v].zero = 0;
	idt[v].type = GATE_INTR;
	idt[v].offset_hi = entry >> 16;
}

void trap_load(void)
{
	struct desc_ptr d = { sizeof(idt) - 1, (uintptr_t)idt };

	load_gdt();
	asm volatile("lidt %0" : : "m"(d));
}

void trap_init(void)
{
	unsigned int v;

	for (v = 0; v < NVECTORS; v++)
		set_gate(v, trap_stubs[v]);
	trap_load();
}

void trap_set_handler(unsigned int vector, void (*fn)(struct trap_frame *))
{
	if (vector < NVECTORS)
		handlers[vector] = fn;
}

void trap_set_entry(unsigned int vector, void (*entry)(void))
{
	if (vector < NVECTORS)
		set_gate(vector, (uint32_t)entry);
}

void trap_dispatch(struct trap_frame *tf);

/*
 * An interrupt taken at the HLT of "sti; hlt" came inside STI's shadow,
 * which on a processor cannot happen: the shadow covers the HLT, and the
 * interrupt returns after it. Under the lab machine's nested KVM (AMD-V
 * as QEMU's TCG emulates it) it does, once in some fifty waits: the
 * handler would return to the HLT and the guest would sleep with its
 * interrupt already taken. Resume after the HLT, as hardware would have.
 * (Whether a VMM honours the shadow is checked by its unit tests, on a
 * kvm_run that says "not ready".)
 */
static void trap_skip_shadowed_hlt(struct trap_frame *tf)
{
	const uint8_t *ip = (const uint8_t *)tf->eip;

	if (tf->vector >= 32 && tf->eip > 0 && ip[0] == 0xf4 && ip[-1] == 0xfb)
		tf->eip++;
}

void trap_dispatch(struct trap_frame *tf)
{
	trap_skip_shadowed_hlt(tf);
	if (tf->vector < NVECTORS && handlers[tf->vector]) {
		handlers[tf->vector](tf);
		return;
	}
	if (tf->vector < 32)
		con_printf("unexpected exception %u at eip 0x%08x, error code 0x%x\n",
			   tf->vector, tf->eip, tf->error);
	else
		con_printf("unexpected interrupt, vector 0x%02x at eip 0x%08x\n",
			   tf->vector, tf->eip);
	vm_exit(TRAP_EXIT_CODE);
}
