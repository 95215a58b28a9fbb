/*
 * hostile-pv: the shadow guest's sources built with -DSHADOW_HOSTILE, a
 * paravirtual guest that attacks the VMM's shadow paging (book §2.3-2.4;
 * guests/README.md, "The paravirtual platform").
 *
 * In shadow mode it first makes hypercalls with garbage: unknown numbers,
 * accesses of the wrong width, CR3 values past its frames or with tables
 * that name frames it does not have or loop back on themselves, and page
 * faults at addresses that are not canonical, not mapped, or mapped to
 * frames past its own (where the VMM's shadow pool and everything else
 * of the host's would be). Each must get the documented error, and the
 * guest must keep running on the tables it had.
 *
 * Then, in both modes, page tables that loop: a PML4 entry pointing at
 * its own PML4 (a recursive mapping, through which the guest reads and
 * rewrites its own page tables as data), a page directory entry pointing
 * at its own page directory, and a PML4 entry with the reserved PS bit.
 * On the hardware's paging (hostile-pv-native, -DSHADOW_NATIVE) these
 * give the answers the SDM's section 4.5 gives; on shadow paging they
 * must give the same.
 */
#include "check.h"
#include "console.h"
#include "fault.h"
#include "paging.h"
#include "platform.h"

#ifdef SHADOW_HOSTILE

#define PRIV		0x8000000000ULL		/* PML4 entry 1 */
#define SELF		2ULL			/* the recursive PML4 slot */
#define PTE_PS		(1ULL << 7)
#define PF_P		0x1
#define PF_RSVD		0x8
#define PV_EINVAL	((uint64_t)-1)
#define PV_EFAULT	((uint64_t)-2)
#define PV_ENOSYS	((uint64_t)-3)
#define NOT_AD		(~(PTE_A | PTE_D))

static uint16_t port;

/* The virtual address at which the recursive slot shows table entries. */
static uint64_t self_va(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1)
{
	return i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12;
}

static uint64_t hc(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t *out1)
{
	return hypercall(port, nr, a0, a1, out1);
}

static uint64_t fresh_table(void)
{
	uint64_t pa = frame_alloc();
	volatile uint64_t *t = pa_ptr(pa);
	unsigned int i;

	for (i = 0; i < 512; i++)
		t[i] = 0;
	return pa;
}

static void bad_hypercalls(const struct pv_start_info *si)
{
	uint64_t n = si->nr_pages, pml4, rsi, pd;
	uint64_t *pte;

	con_puts("-- hypercalls with garbage\n");
	check(inl(port), PV_START_MAGIC, 8, "4-byte IN of the hypercall port");
	check(inb(port), 0xff, 2, "1-byte IN: all ones");
	outb(port, PV_HC_LOAD_CR3);
	outw(port, PV_HC_LOAD_CR3);
	check(hc(0, 0, 0, 0), PV_ENOSYS, 16, "call 0");
	check(hc(4, 0, 0, 0), PV_ENOSYS, 16, "call 4");
	check(hc(0xffffffff, 0, 0, 0), PV_ENOSYS, 16, "call 0xffffffff");

	check(hc(PV_HC_LOAD_CR3, n * PAGE, 0, 0), PV_EINVAL, 16,
	      "load CR3 at the first frame past ours");
	check(hc(PV_HC_LOAD_CR3, 1ULL << 63, 0, 0), PV_EINVAL, 16, "load CR3 2^63");
	pml4 = fresh_table();
	check(hc(PV_HC_LOAD_CR3, pml4, 0, 0), PV_EFAULT, 16,
	      "load CR3 of an empty PML4, which does not map our image");
	pa_ptr(pml4)[0] = n * PAGE | PTE_P | PTE_RW;
	check(hc(PV_HC_LOAD_CR3, pml4, 0, 0), PV_EFAULT, 16,
	      "load CR3 whose PML4 names a frame past ours");
	pa_ptr(pml4)[0] = pml4 | PTE_P | PTE_RW;
	check(hc(PV_HC_LOAD_CR3, pml4, 0, 0), PV_EFAULT, 16,
	      "load CR3 whose PML4 entry 0 points at itself");

	check(hc(PV_HC_PAGE_FAULT, 0x0000800000000000ULL, 0, 0), PV_EINVAL, 16,
	      "page fault at 0x800000000000, not canonical");
	check(hc(PV_HC_PAGE_FAULT, 0x7000000000ULL, 0x2, &rsi), PV_TRUE_FAULT, 16,
	      "page fault at 0x7000000000, not mapped, a write");
	check(rsi, 0x2, 2, "its error code from our tables");
	check(hc(PV_HC_PAGE_FAULT, 0x7000000000ULL, 0xfffffff0, &rsi), PV_TRUE_FAULT, 16,
	      "the same with error code 0xfffffff0");
	check(rsi & PF_P, 0, 1, "P in its error code");

	/* Our tables name frames we do not have: past ours, and the last. */
	pml4 = new_address_space();
	pte = pte_of(pml4, PRIV);
	load_cr3(pml4);
	*pte = n * PAGE | PTE_P | PTE_RW;
	check(hc(PV_HC_PAGE_FAULT, PRIV, 0, 0), PV_EFAULT, 16,
	      "page fault on a PTE that names frame %lu, past ours", n);
	*pte = 0xffffffffffULL * PAGE | PTE_P | PTE_RW;
	flush_page(PRIV);
	check(hc(PV_HC_PAGE_FAULT, PRIV, 0, 0), PV_EFAULT, 16,
	      "page fault on a PTE that names frame 0xffffffffff");
	pd = pa_ptr(pa_ptr(pml4)[1] & PTE_ADDR)[0] & PTE_ADDR;
	pa_ptr(pd)[0] = (n + 1) * PAGE | PTE_P | PTE_RW;
	flush_page(PRIV);
	check(hc(PV_HC_PAGE_FAULT, PRIV, 0, 0), PV_EFAULT, 16,
	      "page fault under a PDE that names frame %lu for its table", n + 1);
	load_cr3(si->pt_base);
	hc(PV_HC_INVLPG, 0x0000800000000000ULL, 0, 0);
}

static void loops(void)
{
	uint64_t pml4 = new_address_space(), a = frame_alloc(), b = frame_alloc();
	volatile uint64_t *self = (volatile uint64_t *)self_va(SELF, SELF, SELF, SELF);
	volatile uint64_t *ptes = (volatile uint64_t *)self_va(SELF, 1, 0, 0);
	volatile uint64_t *priv = (volatile uint64_t *)PRIV;
	uint64_t *pte = pte_of(pml4, PRIV);
	uint64_t pd = pa_ptr(pa_ptr(pml4)[1] & PTE_ADDR)[0] & PTE_ADDR;
	uint64_t want;

	con_puts("-- page tables that loop\n");
	*pa_ptr(a) = 0x1111;
	*pa_ptr(b) = 0x2222;
	*pte = a | PTE_P | PTE_RW | PTE_XD;
	pa_ptr(pml4)[SELF] = pml4 | PTE_P | PTE_RW;
	load_cr3(pml4);
	check(priv[0], 0x1111, 4, "our private page");
	want = pa_ptr(pml4)[0];
	check((self[0] & NOT_AD) == (want & NOT_AD), 1, 1,
	      "PML4 entry 0 read through the recursive slot, as in the PML4");
	check((self[SELF] & PTE_ADDR) == pml4, 1, 1, "the recursive entry names the PML4");
	check((ptes[0] & NOT_AD) == (a | PTE_P | PTE_RW | PTE_XD), 1, 1,
	      "the private page's PTE read through the recursive slot");
	ptes[0] = b | PTE_P | PTE_RW | PTE_XD;
	flush_page(PRIV);
	check(priv[0], 0x2222, 4, "PTE rewritten through the recursive slot, then INVLPG");
	check((*pte & NOT_AD) == (b | PTE_P | PTE_RW | PTE_XD), 1, 1,
	      "the PTE as rewritten, through the direct map");

	/*
	 * PD entry 5 points at the PD, so under it the PD serves as a page
	 * table: its entry 0 maps the private pages' page table as data.
	 */
	pa_ptr(pd)[5] = pd | PTE_P | PTE_RW;
	flush_page(PRIV + (5ULL << 21));
	check((*(volatile uint64_t *)(PRIV + (5ULL << 21)) & NOT_AD) ==
	      (*pte & NOT_AD), 1, 1,
	      "under a PDE pointing at its own PD, the page table read as data");

	/* PS in a PML4 entry is reserved: a fault with RSVD set. */
	pa_ptr(pml4)[4] = a | PTE_P | PTE_RW | PTE_PS;
	load_cr3(pml4);
	probe_start(0);
	probe_read(4ULL << 39);
	check(last_probe.faulted, 1, 1, "a read under a PML4 entry with PS set faults");
	/*
	 * SDM 4.7 sets P beside RSVD; the lab machine's CPU (QEMU's TCG,
	 * walking under nested paging) leaves P clear, so only RSVD is
	 * checked.
	 */
	check(last_probe.error & PF_RSVD, PF_RSVD, 1, "RSVD in its error code");
	load_cr3(pml4);
	check(priv[0], 0x2222, 4, "and the private page is still there");
}

void hostile(const struct pv_start_info *si)
{
	port = (uint16_t)si->hc_port;
	con_printf("hostile-pv: %s\n", pv_shadow ? "on shadow paging" : "on the hardware's paging");
	if (pv_shadow)
		bad_hypercalls(si);
	loops();
	vm_exit(check_done("hostile-pv"));
}

#endif
