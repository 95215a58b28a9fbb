/*
 * shadow: a paravirtual guest that checks the VMM's shadow paging (book
 * §2.3-2.4; the platform is labs/02-memory/src/pv.h).
 *
 * It builds four address spaces, each with eight private pages at
 * 0x8000000000 (PML4 entry 1) and the kernel half shared, writes a known
 * pattern through each, and checks it through the direct map (virtual =
 * pseudo-physical): the VMM scrambles the P2M, so a shadow entry built
 * from a wrong address would put the data in some other frame. Then it
 * checks what shadow paging must get right: accessed and dirty bits in
 * its own entries, true faults with the error code its own tables give
 * (SDM 4.7), demand paging by its own #PF handler, and that every change
 * to its page tables is seen after INVLPG or a CR3 load - a remap, a
 * page made read-only, an unmapped page, A and D cleared, a page table
 * changed from another address space, a page directory entry moved.
 *
 * Page faults are counted in short windows. On the hardware's paging
 * (shadow-native.elf, the same sources) only true faults happen, and the
 * counts are exact. In shadow mode how many shadow faults there are is
 * the VMM's policy (how lazily it fills, whether it caches an address
 * space, how it keeps its copy of a page table in step), so the checks
 * there are bounds that every correct shadow meets, printed without the
 * count: at least what correctness forces (a first write must fault, or
 * the VMM could not set D; each true fault is one fault), at most one
 * fault per paging level of every page touched. A VMM that lets a fault
 * storm happen, or misses the write that sets D, fails them.
 *
 * With -DSHADOW_BENCH the same code runs the benchmark workload instead,
 * and with -DSHADOW_HOSTILE the attacks of hostile.c.
 */
#include "check.h"
#include "console.h"
#include "fault.h"
#include "paging.h"
#include "platform.h"

#define PRIV		0x8000000000ULL	/* PML4 entry 1: per address space */
#define NAS		4
#define NPG		8
#define NWORDS		8		/* words per page, 512 bytes apart */
#define LAZY_FIRST	16		/* pages 16-23 of address space 0 */
#define LAZY_PAGES	8
#define LAZY_AS		8		/* their pattern's "address space" */
#define LEVELS		4		/* shadow faults one access may take */
#define PAT_MUL		0x9e3779b9U

struct aspace {
	uint64_t cr3;
	uint64_t data[NPG];		/* pseudo-physical frames */
};

static struct aspace as[NAS];
static uint64_t lazy_frame[LAZY_PAGES];

/* Word w of page i of address space k. */
static uint64_t pat(unsigned int k, unsigned int i, unsigned int w)
{
	return ((uint64_t)(k + 1) << 48) | ((uint64_t)(i + 1) << 32) |
	       (uint32_t)(w * PAT_MUL);
}

static uint64_t page_va(unsigned int i)
{
	return PRIV + i * PAGE;
}

static volatile uint64_t *word(uint64_t page, unsigned int w)
{
	return (volatile uint64_t *)(page + w * 512);
}

static uint64_t pat_sum(unsigned int k, unsigned int pages, unsigned int words)
{
	uint64_t s = 0;
	unsigned int i, w;

	for (i = 0; i < pages; i++)
		for (w = 0; w < words; w++)
			s += pat(k, i, w);
	return s;
}

/* Sum of the first `words` words of `pages` pages from virtual `base`. */
static uint64_t sum_pages(uint64_t base, unsigned int pages, unsigned int words)
{
	uint64_t s = 0;
	unsigned int i, w;

	for (i = 0; i < pages; i++)
		for (w = 0; w < words; w++)
			s += *word(base + i * PAGE, w);
	return s;
}

static uint64_t sum_direct(unsigned int k)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < NPG; i++)
		s += sum_pages(as[k].data[i], 1, NWORDS);
	return s;
}

static volatile uint64_t *pt_of(unsigned int k)
{
	return (volatile uint64_t *)pte_of(as[k].cr3, PRIV);
}

/*
 * Page faults in a window: exactly `native` on the hardware's paging; in
 * shadow mode from `lo` to `hi`, the count itself not printed.
 */
static void check_faults(uint64_t n, uint64_t native, uint64_t lo, uint64_t hi,
			 int k, const char *what)
{
	if (pv_shadow && k >= 0)
		check_range(n, lo, hi, "AS %d: page faults on %s", k, what);
	else if (pv_shadow)
		check_range(n, lo, hi, "%s: page faults", what);
	else if (k >= 0)
		check(n, native, 4, "AS %d: page faults on %s", k, what);
	else
		check(n, native, 4, "%s: page faults", what);
}

static void count_ad(unsigned int k, unsigned int *a, unsigned int *d)
{
	volatile uint64_t *pt = pt_of(k);
	unsigned int i;

	*a = *d = 0;
	for (i = 0; i < NPG; i++) {
		*a += (pt[i] & PTE_A) != 0;
		*d += (pt[i] & PTE_D) != 0;
	}
}

static void build(unsigned int k)
{
	unsigned int i;

	as[k].cr3 = new_address_space();
	for (i = 0; i < NPG; i++) {
		as[k].data[i] = frame_alloc();
		*pte_of(as[k].cr3, page_va(i)) = as[k].data[i] | PTE_P | PTE_RW | PTE_XD;
	}
}

/* A fresh address space: first reads, then first writes, of its pages. */
static void first_touches(unsigned int k)
{
	unsigned int i, w, a, d;
	uint64_t n;

	build(k);
	load_cr3(as[k].cr3);
	n = nr_faults;
	for (i = 0; i < NPG; i++)
		(void)*word(page_va(i), 0);
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS * NPG, (int)k, "the first reads of its 8 pages");
	count_ad(k, &a, &d);
	check(a, NPG, 2, "AS %u: PTEs with A set after the reads", k);
	check(d, 0, 2, "AS %u: PTEs with D set after the reads", k);
	n = nr_faults;
	for (i = 0; i < NPG; i++)
		for (w = 0; w < NWORDS; w++)
			*word(page_va(i), w) = pat(k, i, w);
	n = nr_faults - n;
	check_faults(n, 0, NPG, LEVELS * NPG, (int)k, "the first writes");
	count_ad(k, &a, &d);
	check(d, NPG, 2, "AS %u: PTEs with D set after the writes", k);
	check(sum_direct(k), pat_sum(k, NPG, NWORDS), 16,
	      "AS %u: checksum through the direct map", k);
}

/* Back to a known address space: its shadow is cached, nothing faults. */
static void revisit(unsigned int k)
{
	uint64_t n, s;

	load_cr3(as[k].cr3);
	n = nr_faults;
	s = sum_pages(PRIV, NPG, NWORDS);
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS * NPG, (int)k, "reading all of it again");
	check(s, pat_sum(k, NPG, NWORDS), 16, "AS %u again: checksum through 0x%llx", k,
	      (unsigned long long)PRIV);
}

static void lazy_map(uint64_t page)
{
	uint64_t pa = frame_alloc();

	lazy_frame[(page - page_va(LAZY_FIRST)) / PAGE] = pa;
	*pte_of(cur_cr3, page) = pa | PTE_P | PTE_RW | PTE_XD;
}

static void true_faults(void)
{
	volatile uint64_t *pt = pt_of(0);
	uint64_t n, t, code, frame;
	unsigned int i;

	con_puts("-- true faults, in AS 0\n");
	load_cr3(as[0].cr3);
	probe_start(0);
	probe_read(page_va(100));
	check(last_probe.cr2, page_va(100), 10, "read of unmapped page 100: CR2");
	check(last_probe.error, 0x0, 2, "read of unmapped page 100: error code");

	frame = frame_alloc();
	n = nr_faults;
	pt[8] = frame | PTE_P | PTE_XD;
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS, -1, "mapping page 8 read-only");
	probe_start(0);
	probe_write(page_va(8), 1);
	check(last_probe.cr2, page_va(8), 10, "write to read-only page 8: CR2");
	check(last_probe.error, 0x3, 2, "write to read-only page 8: error code");

	code = frame_alloc();
	*(volatile uint8_t *)pa_ptr(code) = 0xc3;	/* RET */
	pt[9] = code | PTE_P | PTE_RW | PTE_XD;
	/* Read it first: the fetch must then be refused by a filled entry. */
	check(*(volatile uint8_t *)page_va(9), 0xc3, 2, "page 9 read through 0x%llx",
	      (unsigned long long)page_va(9));
	probe_start(page_va(9));
	probe_exec(page_va(9));
	probe_end();
	check(last_probe.cr2, page_va(9), 10, "call into no-execute page 9: CR2");
	check(last_probe.error, 0x11, 2, "call into no-execute page 9: error code");

	fault_set_lazy(page_va(LAZY_FIRST), page_va(LAZY_FIRST + LAZY_PAGES), lazy_map);
	n = nr_faults;
	t = nr_true_faults;
	for (i = 0; i < LAZY_PAGES; i++)
		*word(page_va(LAZY_FIRST + i), 0) = pat(LAZY_AS, i, 0);
	n = nr_faults - n;
	t = nr_true_faults - t;
	fault_set_lazy(0, 0, 0);
	check(t, LAZY_PAGES, 4, "first writes to the %u pages of the lazy range: true faults",
	      LAZY_PAGES);
	check_faults(n, LAZY_PAGES, LAZY_PAGES, (LEVELS + 1) * LAZY_PAGES,
		     -1, "first writes to the lazy range, in all");
	check(sum_pages(page_va(LAZY_FIRST), LAZY_PAGES, 1), pat_sum(LAZY_AS, LAZY_PAGES, 1),
	      16, "lazy range: checksum");
	t = 0;
	for (i = 0; i < LAZY_PAGES; i++)
		t += *(volatile uint64_t *)pa_ptr(lazy_frame[i]);
	check(t, pat_sum(LAZY_AS, LAZY_PAGES, 1), 16,
	      "lazy range: checksum through the direct map");
}

static void changes(void)
{
	volatile uint64_t *pt = pt_of(0), *pt1 = pt_of(1);
	volatile uint64_t *pml4, *pdpt, *pd2, *pd3;
	uint64_t n, s;

	con_puts("-- changes to the page tables, in AS 0\n");
	flush_page(page_va(0));
	n = nr_faults;
	pt[0] = as[0].data[1] | PTE_P | PTE_RW | PTE_XD;
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS, -1, "remapping page 0 to page 1's frame");
	n = nr_faults;
	pt[2] &= ~PTE_RW;
	pt[3] = 0;
	n = nr_faults - n;
	check_faults(n, 0, 0, 2 * LEVELS, -1, "two more writes to that page table");
	flush_page(page_va(0));
	flush_page(page_va(2));
	flush_page(page_va(3));
	check(*word(page_va(0), 0), pat(0, 1, 0), 16, "page 0 after the remap and INVLPG");
	probe_start(0);
	probe_write(page_va(2), 0);
	check(last_probe.error, 0x3, 2, "write to page 2, made read-only: error code");
	probe_start(0);
	probe_read(page_va(3));
	check(last_probe.cr2, page_va(3), 10, "read of page 3, unmapped: CR2");
	check(last_probe.error, 0x0, 2, "read of page 3, unmapped: error code");

	n = nr_faults;
	pt[4] &= ~PTE_A;
	pt[5] &= ~PTE_D;
	n = nr_faults - n;
	check_faults(n, 0, 0, 2 * LEVELS, -1, "clearing A of page 4 and D of page 5");
	flush_page(page_va(4));
	flush_page(page_va(5));
	(void)*word(page_va(4), 0);
	check((pt[4] & PTE_A) != 0, 1, 1, "page 4 read again: its A bit");
	(void)*word(page_va(5), 0);
	check((pt[5] & PTE_D) != 0, 0, 1, "page 5 read: its D bit");
	*word(page_va(5), 0) = pat(0, 5, 0);
	check((pt[5] & PTE_D) != 0, 1, 1, "page 5 written: its D bit");

	con_puts("-- changes made from another address space\n");
	n = nr_faults;
	pt1[0] = as[1].data[1] | PTE_P | PTE_RW | PTE_XD;
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS, -1, "AS 0 remaps page 0 of AS 1");
	load_cr3(as[1].cr3);
	check(*word(page_va(0), 0), pat(1, 1, 0), 16, "AS 1: page 0 after the remap");

	pml4 = pa_ptr(as[2].cr3);
	pdpt = pa_ptr(pml4[1] & PTE_ADDR);
	pd2 = pa_ptr(pdpt[0] & PTE_ADDR);
	pml4 = pa_ptr(as[3].cr3);
	pdpt = pa_ptr(pml4[1] & PTE_ADDR);
	pd3 = pa_ptr(pdpt[0] & PTE_ADDR);
	n = nr_faults;
	pd2[0] = pd3[0];
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS,
		     -1, "AS 1 points AS 2's page directory at AS 3's page table");
	load_cr3(as[2].cr3);
	n = nr_faults;
	s = sum_pages(PRIV, NPG, NWORDS);
	n = nr_faults - n;
	check_faults(n, 0, 0, LEVELS * NPG, -1, "AS 2 reads its pages");
	check(s, pat_sum(3, NPG, NWORDS), 16, "AS 2: checksum, now of AS 3's data");
}

static void test(void)
{
	uint64_t total = 0, want = 0;
	unsigned int k;

	con_printf("-- %u address spaces: first touches\n", NAS);
	for (k = 0; k < NAS; k++)
		first_touches(k);
	con_puts("-- back to each address space\n");
	for (k = 0; k < NAS; k++)
		revisit(k);
	true_faults();
	changes();
	load_cr3(as[0].cr3);
	for (k = 0; k < NAS; k++) {
		total += sum_direct(k);
		want += pat_sum(k, NPG, NWORDS);
	}
	check(total, want, 16, "all data through the direct map");
	vm_exit((uint8_t)check_done("shadow"));
}

#define BAS	32
#define BPG	64
#ifdef SHADOW_BENCH
#define RUN_BENCH	1
#else
#define RUN_BENCH	0
#endif

static uint64_t bench_cr3[BAS];
static uint64_t bench_frame[BAS][BPG];

/*
 * The benchmark: many address spaces, many first touches. Each gets
 * BPG pages, read then written (the first touches); all are read back
 * twice (a cached shadow); then each remaps all its pages and reloads
 * CR3 (a re-sync) and reads them again.
 */
static void bench(void)
{
	uint64_t s = 0, want = 0, cr3;
	unsigned int k, i, r;

	for (k = 0; k < BAS; k++) {
		cr3 = bench_cr3[k] = new_address_space();
		for (i = 0; i < BPG; i++) {
			bench_frame[k][i] = frame_alloc();
			*pte_of(cr3, page_va(i)) = bench_frame[k][i] | PTE_P | PTE_RW | PTE_XD;
		}
		load_cr3(cr3);
		for (i = 0; i < BPG; i++)
			s += *word(page_va(i), 0);
		for (i = 0; i < BPG; i++)
			*word(page_va(i), 0) = pat(k, i, 0);
	}
	for (r = 0; r < 2; r++)
		for (k = 0; k < BAS; k++) {
			load_cr3(bench_cr3[k]);
			s += sum_pages(PRIV, BPG, 1);
			want += pat_sum(k, BPG, 1);
		}
	for (k = 0; k < BAS; k++) {
		volatile uint64_t *pt;

		load_cr3(bench_cr3[k]);
		pt = (volatile uint64_t *)pte_of(bench_cr3[k], PRIV);
		for (i = 0; i < BPG; i++)
			pt[i] = bench_frame[k][(i + 1) % BPG] | PTE_P | PTE_RW | PTE_XD;
		load_cr3(bench_cr3[k]);
		s += sum_pages(PRIV, BPG, 1);
		want += pat_sum(k, BPG, 1);
	}
	con_printf("bench-shadow: %u address spaces x %u pages, %lu page faults, %s\n",
		   BAS, BPG, (unsigned long)nr_faults,
		   s == want ? "checksums ok" : "checksums BAD");
	vm_exit(s == want ? 0 : 1);
}

void guest_main(const struct pv_start_info *si);
#ifdef SHADOW_HOSTILE
void hostile(const struct pv_start_info *si);	/* hostile.c */
#endif

void guest_main(const struct pv_start_info *si)
{
	if (si->magic != PV_START_MAGIC) {
		con_printf("shadow: no start info at 0x%lx (is this a paravirtual VMM?)\n",
			   (uint64_t)si);
		vm_exit(126);
	}
	/* Our IDT first: even reading our own page tables may fault. */
	fault_init(si->mode == PV_PAGING_SHADOW ? (uint16_t)si->hc_port : 0);
	paging_init(si);
	if (RUN_BENCH)
		bench();
#ifdef SHADOW_HOSTILE
	hostile(si);
#endif
	con_printf("shadow: %s, %lu pages of pseudo-physical memory\n",
		   pv_shadow ? "paravirtual, on the VMM's shadow page tables" :
		   "on the hardware's paging, our own tables in CR3",
		   si->nr_pages);
	test();
}
