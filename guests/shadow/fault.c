/*
 * GDT, IDT and the #PF handler of the shadow guest (see fault.h).
 */
#include "console.h"
#include "desc.h"
#include "fault.h"
#include "platform.h"
#include "pv.h"

#define NVECTORS	32
#define CODE_SEL	0x08
#define VEC_PF		14
#define PF_P		(1u << 0)

/*
 * The selectors the VMM started us with, in a GDT of our own: the CPU
 * reads the code descriptor here when it delivers an exception, and the
 * VMM's GDT is in machine memory we cannot see. Accessed bits preset.
 */
static const uint64_t gdt[] = {
	0,
	GDT_CODE64,		/* 0x08: CODE_SEL */
	GDT_DATA,		/* 0x10 */
};

static struct idt_gate64 idt[NVECTORS];
extern const uint64_t fault_stubs[NVECTORS];
extern const char probe_read_insn[], probe_read_done[];
extern const char probe_write_insn[], probe_write_done[];

volatile uint64_t nr_faults;
volatile uint64_t nr_true_faults;
struct probe last_probe;

static uint16_t port;
static uint64_t lazy_start, lazy_end;
static void (*lazy_map)(uint64_t page);
static uint64_t probe_exec_va;

void fault_init(uint16_t hc_port)
{
	struct desc_ptr g = { sizeof(gdt) - 1, (uintptr_t)gdt };
	struct desc_ptr d = { sizeof(idt) - 1, (uintptr_t)idt };
	unsigned int v;

	port = hc_port;
	for (v = 0; v < NVECTORS; v++)
		idt[v] = idt_gate64(fault_stubs[v], CODE_SEL);
	asm volatile("lgdt %0" : : "m"(g));
	asm volatile("lidt %0" : : "m"(d));
}

void fault_set_lazy(uint64_t start, uint64_t end, void (*map)(uint64_t page))
{
	lazy_start = start;
	lazy_end = end;
	lazy_map = map;
}

void probe_start(uint64_t exec_va)
{
	last_probe.faulted = 0;
	last_probe.cr2 = 0;
	last_probe.error = 0;
	probe_exec_va = exec_va;
}

void probe_end(void)
{
	probe_exec_va = 0;
}

/* A true fault: ours to handle, with the error code our tables give. */
static int true_fault(struct fault_frame *f, uint64_t cr2, uint32_t error)
{
	nr_true_faults++;
	if (cr2 >= lazy_start && cr2 < lazy_end && !(error & PF_P) && lazy_map) {
		lazy_map(cr2 & ~0xfffULL);
		return 1;
	}
	if (f->rip == (uint64_t)probe_read_insn ||
	    f->rip == (uint64_t)probe_write_insn ||
	    (probe_exec_va && f->rip == probe_exec_va)) {
		last_probe.faulted++;
		last_probe.cr2 = cr2;
		last_probe.error = error;
		if (f->rip == (uint64_t)probe_read_insn)
			f->rip = (uint64_t)probe_read_done;
		else if (f->rip == (uint64_t)probe_write_insn)
			f->rip = (uint64_t)probe_write_done;
		else {
			/* Return to probe_exec's caller of the CALL. */
			f->rip = *(uint64_t *)f->rsp;
			f->rsp += 8;
		}
		return 1;
	}
	return 0;
}

static void page_fault(struct fault_frame *f, uint64_t cr2)
{
	uint32_t error = (uint32_t)f->error;
	uint64_t r, ec;

	nr_faults++;
	if (port) {
		r = hypercall(port, PV_HC_PAGE_FAULT, cr2, error, &ec);
		if (r == PV_OK)
			return;		/* a shadow fault: the VMM filled it */
		if (r != PV_TRUE_FAULT) {
			con_printf("page fault at 0x%lx: the VMM answered 0x%lx\n",
				   cr2, r);
			vm_exit(FAULT_EXIT_CODE - 1);
		}
		error = (uint32_t)ec;
	}
	if (true_fault(f, cr2, error))
		return;
	con_printf("unexpected page fault at rip 0x%lx: cr2 0x%lx, error code 0x%x\n",
		   f->rip, cr2, error);
	vm_exit(FAULT_EXIT_CODE);
}

void fault_dispatch(struct fault_frame *f);

void fault_dispatch(struct fault_frame *f)
{
	uint64_t cr2;

	/* First: a fault taken while handling this one would change CR2. */
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	if (f->vector == VEC_PF) {
		page_fault(f, cr2);
		return;
	}
	con_printf("unexpected exception %lu at rip 0x%lx, error code 0x%lx\n",
		   f->vector, f->rip, f->error);
	vm_exit(FAULT_EXIT_CODE);
}
