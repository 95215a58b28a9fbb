/*
 * pagewalk, pagewalk-legacy: page tables in every format of the x86, and
 * the VMM's page walker checked on them against KVM's and against the CPU
 * (book §2.1.3-2.1.4, §2.5; Intel SDM vol. 3, ch. 4).
 *
 * The guest builds its own tables and switches paging modes:
 *   pagewalk         0. no paging (protected mode, CR0.PG = 0);
 *                    3. 4-level paging with 4 KiB, 2 MiB and 1 GiB pages:
 *                       long mode, in its compatibility sub-mode (this is
 *                       32-bit code; the tables are 64-bit mode's), then
 *                       CR4.SMEP = 1;
 *   pagewalk-legacy  1. 32-bit paging, 4 KiB and 4 MiB pages (CR4.PSE),
 *                       CR0.WP = 1, then 0;
 *                    2. PAE paging, 4 KiB and 2 MiB pages, EFER.NXE = 0,
 *                       then 1.
 * (One source, built twice: a software KVM such as this project's refuses
 * to turn paging on outside long mode, so the legacy formats are a test
 * of their own, for a KVM that runs them.)
 *
 * In each stage the guest hands a list of probes (an address and an
 * access) to the VMM's walk device (port 0x540, lab 02's src/walkdev.h),
 * which answers each with its walker's result, KVM_TRANSLATE's, and the
 * two-dimensional walk over its EPT (memory references counted, and
 * checked against the memslots). Then, for supervisor accesses below
 * 4 GiB, the guest makes the access itself and compares the CPU's #PF,
 * or its absence, with the walker's answer. Not made: user-mode accesses
 * (they would need a trip to ring 3), and accesses that meet a reserved
 * bit (QEMU's TCG, the CPU of the lab machine, leaves P out of their
 * error code, against the SDM; KVM_TRANSLATE and the unit tests check
 * those).
 *
 * One line per probe:
 *   NN. address access -> translation or #PF error code  kvm ...  2d ...  cpu ...
 * "kvm" is what KVM_TRANSLATE said: a GPA or none. It checks no rights
 * (it answers for a supervisor read), so it is compared with the walker's
 * supervisor read. "2d" is the memory references of the 2-D walk and,
 * when the GPA has no memslot, the EPT violation's exit qualification.
 * The exit code is the number of the first probe on which anything
 * disagreed (0: none); expected.txt (expected-legacy.txt) is worked out
 * from the tables below.
 *
 * Two features are not on every CPU that runs KVM: 1 GiB pages (without
 * them PS is a reserved bit in a PDPTE) and SMEP (CR4.SMEP cannot be
 * set). The probes that depend on them carry both answers, worked out
 * the same way; the guest checks the walker against the one for this
 * CPU and prints only whether it matched, so that the transcript is the
 * same everywhere.
 */
#include <stdint.h>

#include "console.h"
#include "desc.h"
#include "platform.h"
#include "trap.h"

#define WALKDEV_PORT		0x540
#define WALKDEV_MAGIC		0x4b4c4157	/* "WALK" */
#define WALKDEV_DONE		1

/* The walk device's answer flags (lab 02 src/walkdev.h). */
#define WALK_OK			(1u << 0)
#define WALK_PF			(1u << 1)
#define WALK_GP			(1u << 2)
#define WALK_ERROR		(1u << 3)
#define WALK_KVM_VALID		(1u << 4)
#define WALK_KVM_AGREES		(1u << 5)
#define WALK_EPT_VIOLATION	(1u << 6)
#define WALK_EPT_MISCONFIG	(1u << 7)
#define WALK_EPT_AGREES		(1u << 8)
#define WALK_EPT_NONE		(1u << 9)

/* Accesses, as the walk device takes them. */
#define RD			0
#define WR			1
#define EX			2
#define USR			4

/* Entry bits (SDM vol. 3, 4.3-4.5). */
#define P			0x1ULL
#define RW			0x2ULL
#define US			0x4ULL
#define PS			0x80ULL
#define XD			(1ULL << 63)

#define CR0_WP			(1u << 16)
#define CR0_PG			(1u << 31)
#define CR4_PSE			(1u << 4)
#define CR4_PAE			(1u << 5)
#define CR4_SMEP		(1u << 20)
#define EFER_MSR		0xc0000080
#define EFER_NXE		(1u << 11)

#define VECTOR_GP		13
#define VECTOR_PF		14
#define NO_FEATURE		100	/* exit code: the CPU lacks a feature */
#define NO_DEVICE		101	/* exit code: no walk device */
#define NO_LEGACY		102	/* exit code: KVM refused legacy paging */

#ifdef PAGEWALK_LEGACY
#define LEGACY			1
#define NAME			"pagewalk-legacy"
#else
#define LEGACY			0
#define NAME			"pagewalk"
#endif

/*
 * Physical pages the probes land on: eight 4 KiB frames from 10 MiB, and
 * 2 MiB/4 MiB pages at 16, 18 and 20 MiB. Each holds "jmp edx" at
 * FETCH_OFF, where fetch probes jump; write probes write at 0x80.
 */
#define F(n)			(0x00a00000u + (n) * 0x1000u)
#define BIG_A			0x01000000u
#define BIG_B			0x01200000u
#define BIG_C			0x01400000u
#define FETCH_OFF		0x40

struct probe {
	uint64_t gva;
	uint8_t access;
	uint8_t cpu;		/* the guest makes this access too */
};

/* An answer the walker must give. */
struct want {
	uint32_t kind;		/* WALK_OK or WALK_PF */
	uint64_t value;		/* the GPA, or the error code */
	uint8_t shift;		/* log2 of the page size, for WALK_OK */
	uint8_t refs;		/* memory references of the 2-D walk */
	uint16_t qual;		/* EPT violation qualification, 0 for none */
};

/* A probe whose answer depends on a CPU feature: both answers. */
struct opt_probe {
	struct probe pr;
	struct want with, without;
};

/* The walk device's batch (lab 02 src/walkdev.h): 8 + 40 bytes a probe. */
struct probe_io {
	uint64_t gva;
	uint32_t access;
	uint32_t flags;
	uint64_t gpa;
	uint64_t kvm_gpa;
	uint32_t error_code;
	uint16_t ept_qual;
	uint8_t page_shift;
	uint8_t refs;
} __attribute__((packed));

#define MAX_BATCH		24

static struct {
	uint32_t count;
	uint32_t status;
	struct probe_io p[MAX_BATCH];
} __attribute__((packed, aligned(8))) batch;

/* 32-bit paging. */
static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pt32_low[1024] __attribute__((aligned(4096)));
static uint32_t pt32_a[1024] __attribute__((aligned(4096)));
static uint32_t pt32_b[1024] __attribute__((aligned(4096)));
/* PAE paging (pd_a and pt_low serve 4-level paging too). */
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_a[512] __attribute__((aligned(4096)));
static uint64_t pd_b[512] __attribute__((aligned(4096)));
static uint64_t pd_c[512] __attribute__((aligned(4096)));
static uint64_t pt_low[512] __attribute__((aligned(4096)));
static uint64_t pt_b[512] __attribute__((aligned(4096)));
/* 4-level paging. */
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt0[512] __attribute__((aligned(4096)));
static uint64_t pdpt_hi[512] __attribute__((aligned(4096)));
static uint64_t pd3[512] __attribute__((aligned(4096)));
static uint64_t pd_hi[512] __attribute__((aligned(4096)));
static uint64_t pt3[512] __attribute__((aligned(4096)));

/* Long mode: code32 and data as trap.c's, then a 64-bit code segment. */
static const uint64_t gdt64[] __attribute__((aligned(8))) = {
	0,
	GDT_CODE32,		/* 0x08: 32-bit code (compatibility mode) */
	GDT_DATA,		/* 0x10: data */
	GDT_CODE64,		/* 0x18: 64-bit code, for the handlers */
};
#define CODE64_SEL		0x18

static struct idt_gate64 idt64[32] __attribute__((aligned(16)));

/* probe.asm */
int cpu_probe(uint32_t addr, uint32_t kind);
void lm_enter(uint32_t pml4);
extern char probe_read_insn[], probe_write_insn[], probe_fault[];
extern const uint32_t exc64_stubs[32];
extern volatile uint32_t pf_error, probe_fetch_addr;
extern volatile uint64_t pf_cr2;

static int probes, disagree, first_bad;
static int wide;		/* print 16-digit addresses (4-level stage) */

void guest_main(void);

static uint32_t read_cr0(void)
{
	uint32_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void write_cr0(uint32_t v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static uint32_t read_cr4(void)
{
	uint32_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(uint32_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static void write_cr3(uint32_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static void flush_tlb(void)
{
	uint32_t v;

	asm volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(v) : : "memory");
}

static void efer_set(uint32_t bits)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(EFER_MSR));
	lo |= bits;
	asm volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(EFER_MSR) : "memory");
}

static void cpuid(uint32_t leaf, uint32_t *b, uint32_t *c, uint32_t *d)
{
	uint32_t a;

	asm volatile("cpuid" : "=a"(a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(0));
}

/* 32-bit mode: trap.c calls this for every #PF. */
static void pf_handler(struct trap_frame *tf)
{
	uint32_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	if (tf->eip != (uint32_t)probe_read_insn &&
	    tf->eip != (uint32_t)probe_write_insn &&
	    tf->eip != probe_fetch_addr) {
		con_printf("unexpected #PF at eip 0x%08x, cr2 0x%08x, error code 0x%x\n",
			   tf->eip, cr2, tf->error);
		vm_exit(TRAP_EXIT_CODE);
	}
	pf_error = tf->error;
	pf_cr2 = cr2;
	tf->eip = (uint32_t)probe_fault;
}

/* ---- printing ---- */

static int put_hex(char *buf, uint64_t v, int digits)
{
	char tmp[16];
	int n = 0, i;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v || n < digits);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static int put_str(char *buf, const char *s)
{
	int n = 0;

	while (s[n]) {
		buf[n] = s[n];
		n++;
	}
	return n;
}

/* Print s, then spaces up to width. */
static void put_field(const char *s, int len, int width)
{
	int i;

	for (i = 0; i < len; i++)
		con_putc(s[i]);
	for (; i < width; i++)
		con_putc(' ');
}

static const char *access_name(unsigned int a)
{
	static const char *const names[] = {
		"read  sup ", "write sup ", "fetch sup ", "?",
		"read  user", "write user", "fetch user", "?",
	};

	return names[a & 7];
}

static const char *size_name(unsigned int shift)
{
	switch (shift) {
	case 12:
		return "4K";
	case 21:
		return "2M";
	case 22:
		return "4M";
	case 30:
		return "1G";
	case 0:
		return "--";
	}
	return "??";
}

/* The walker's answer: a translation, #PF with its error code, or #GP. */
static void print_result(const struct probe_io *io)
{
	char buf[32];
	int n;

	if (io->flags & WALK_OK) {
		n = put_hex(buf, io->gpa, 8);
		buf[n++] = ' ';
		n += put_str(buf + n, size_name(io->page_shift));
	} else if (io->flags & WALK_PF) {
		n = put_str(buf, "#PF ");
		n += put_hex(buf + n, io->error_code, 2);
	} else if (io->flags & WALK_GP) {
		n = put_str(buf, "#GP");
	} else {
		n = put_str(buf, "walker error");
	}
	put_field(buf, n, 13);
}

static void print_kvm(const struct probe_io *io)
{
	char buf[32];
	int n;

	if (io->flags & WALK_KVM_VALID)
		n = put_hex(buf, io->kvm_gpa, 8);
	else
		n = put_str(buf, "none");
	con_puts(" kvm ");
	put_field(buf, n, 9);
	con_puts(io->flags & WALK_KVM_AGREES ? " ok" : " BAD");
}

static void print_2d(const struct probe_io *io)
{
	if (io->flags & WALK_EPT_NONE) {
		con_puts("  2d no EPT BAD");
		return;
	}
	con_printf("  2d %u refs", io->refs);
	if (io->flags & WALK_EPT_VIOLATION)
		con_printf(" EPT violation 0x%03x", io->ept_qual);
	if (io->flags & WALK_EPT_MISCONFIG)
		con_puts(" EPT misconfiguration");
	con_puts(io->flags & WALK_EPT_AGREES ? " ok" : " BAD");
}

/*
 * Make the access and compare with the walker: no fault where it gave a
 * translation, else a #PF with its error code and CR2 = the address.
 * Returns 1 when they agree.
 */
static int cpu_check(const struct probe *pr, const struct probe_io *io)
{
	uint32_t kind = pr->access & WR ? 1 : pr->access & EX ? 2 : 0;
	int faulted = cpu_probe((uint32_t)pr->gva, kind);

	if (!faulted && (io->flags & WALK_OK)) {
		con_puts("  cpu ok");
		return 1;
	}
	if (faulted && (io->flags & WALK_PF) && pf_error == io->error_code &&
	    pf_cr2 == pr->gva) {
		con_puts("  cpu ok");
		return 1;
	}
	if (faulted)
		con_printf("  cpu BAD: #PF %02x at cr2 %08llx", pf_error,
			   (unsigned long long)pf_cr2);
	else
		con_puts("  cpu BAD: no fault");
	return 0;
}

/* Hand the probes to the walk device; it answers before OUT returns. */
static void ask(const struct probe *const *list, unsigned int n)
{
	unsigned int i;

	batch.count = n;
	batch.status = 0;
	for (i = 0; i < n; i++) {
		batch.p[i].gva = list[i]->gva;
		batch.p[i].access = list[i]->access;
		batch.p[i].flags = 0;
	}
	/* The VMM writes the answers into batch: the compiler must not
	 * keep any of it in registers across the OUT. */
	asm volatile("" : : : "memory");
	outl(WALKDEV_PORT, (uint32_t)&batch);
	asm volatile("" : : : "memory");
	if (batch.status != WALKDEV_DONE) {
		con_printf(NAME ": the walk device answered status %u\n",
			   batch.status);
		vm_exit(NO_DEVICE);
	}
}

static void start_line(const struct probe_io *io)
{
	probes++;
	con_printf("%2d. %0*llx %s -> ", probes, wide ? 16 : 8,
		   (unsigned long long)io->gva, access_name(io->access));
}

static void end_line(const struct probe *pr, const struct probe_io *io,
		     int good)
{
	if (pr->cpu)
		good &= cpu_check(pr, io);
	else
		con_puts("  cpu -");
	con_putc('\n');
	if (!good) {
		disagree++;
		if (!first_bad)
			first_bad = probes;
	}
}

static int agreed(const struct probe_io *io)
{
	const uint32_t must = WALK_KVM_AGREES | WALK_EPT_AGREES;

	return (io->flags & must) == must &&
	       (io->flags & (WALK_OK | WALK_PF | WALK_GP)) != 0;
}

static void run_probes(const struct probe *list, unsigned int n)
{
	const struct probe *ptr[MAX_BATCH];
	unsigned int i;

	for (i = 0; i < n; i++)
		ptr[i] = &list[i];
	ask(ptr, n);
	for (i = 0; i < n; i++) {
		const struct probe_io *io = &batch.p[i];

		start_line(io);
		print_result(io);
		print_kvm(io);
		print_2d(io);
		end_line(&list[i], io, agreed(io));
	}
}

/* Is this the answer the probe must get? */
static int as_wanted(const struct probe_io *io, const struct want *w)
{
	if (!(io->flags & w->kind) || io->refs != w->refs)
		return 0;
	if (!!(io->flags & WALK_EPT_VIOLATION) != !!w->qual ||
	    (w->qual && io->ept_qual != w->qual))
		return 0;
	if (w->kind == WALK_PF)
		return io->error_code == w->value;
	return io->gpa == w->value && io->page_shift == w->shift;
}

/* The feature-dependent probes: one line each that reads the same on
 * every CPU; the details only when something is wrong. */
static void run_opt_probes(const struct opt_probe *list, unsigned int n,
			   int have)
{
	const struct probe *ptr[MAX_BATCH];
	unsigned int i;
	int ok;

	for (i = 0; i < n; i++)
		ptr[i] = &list[i].pr;
	ask(ptr, n);
	for (i = 0; i < n; i++) {
		const struct probe_io *io = &batch.p[i];

		start_line(io);
		ok = as_wanted(io, have ? &list[i].with : &list[i].without);
		if (ok) {
			put_field("walker ok", 9, 13);
		} else {
			con_puts("walker BAD: ");
			print_result(io);
			con_printf(" %u refs ", io->refs);
		}
		con_puts(io->flags & WALK_KVM_AGREES ? " kvm ok" : " kvm BAD");
		con_puts(io->flags & WALK_EPT_AGREES ? "  2d ok" : "  2d BAD");
		end_line(&list[i].pr, io, ok && agreed(io));
	}
}

#define RUN(list)	run_probes(list, sizeof(list) / sizeof(list[0]))
#define RUN_OPT(list, have) \
	run_opt_probes(list, sizeof(list) / sizeof(list[0]), have)

/* ---- stage 0: no paging ---- */

static const struct probe no_paging[] = {
	{ 0x00a00123, RD, 1 },
	{ 0xfeb00000, WR, 1 },		/* the test device's SCRATCH */
};

/* ---- stage 1: 32-bit paging ---- */

static void build_32(void)
{
	unsigned int i;

	for (i = 0; i < 1024; i++)
		pt32_low[i] = i * 0x1000 | P | RW;	/* 0-4 MiB, identity */
	pd32[0] = (uint32_t)pt32_low | P | RW;
	pd32[1] = (uint32_t)pt32_a | P | RW | US;
	pt32_a[0] = F(0) | P | RW | US;
	pt32_a[1] = F(1) | P;
	pt32_a[2] = F(2) | P | US;
	pt32_a[3] = F(3) | RW | US;			/* not present */
	pd32[2] = BIG_A | P | RW | US | PS;
	pd32[3] = BIG_C | P | PS;
	pd32[4] = 0x01800000 | 1u << 21 | P | RW | PS;	/* bit 21 reserved */
	pd32[5] = 0;
	pd32[6] = (uint32_t)pt32_b | P | US;		/* read-only above */
	pd32[7] = (uint32_t)pt32_b | P | RW;		/* supervisor above */
	pt32_b[0] = F(4) | P | RW | US;
	pd32[8] = 0x00400000 | 1u << 13 | P | RW | PS;	/* PSE-36: 4 GiB up */
	pd32[0x3fa] = 0xfe800000 | P | RW | PS;		/* the MMIO hole */
}

static const struct probe p32_wp[] = {
	{ 0x00400123, RD, 1 },
	{ 0x00400080, WR | USR, 0 },
	{ 0x00401123, RD, 1 },
	{ 0x00401080, WR, 1 },
	{ 0x00401123, RD | USR, 0 },
	{ 0x00402080, WR | USR, 0 },
	{ 0x00402040, EX | USR, 0 },
	{ 0x00403123, RD, 1 },
	{ 0x00403080, WR | USR, 0 },
	{ 0x00800123, RD | USR, 0 },
	{ 0x00c00080, WR, 1 },
	{ 0x00c00040, EX, 1 },
	{ 0x01000123, RD, 0 },
	{ 0x01400000, RD, 1 },
	{ 0x01800080, WR, 1 },
	{ 0x01800123, RD | USR, 0 },
	{ 0x01c00123, RD | USR, 0 },
	{ 0x01c00080, WR, 1 },
	{ 0x02000123, RD, 0 },
	{ 0xfeb00000, RD, 1 },
};

static const struct probe p32_nowp[] = {
	{ 0x00401080, WR, 1 },
	{ 0x00c00080, WR, 1 },
	{ 0x00402080, WR | USR, 0 },
};

/* ---- stage 2: PAE paging ---- */

/* Our first 4 MiB, identity-mapped: for PAE and for 4-level paging. */
static void build_low(void)
{
	unsigned int i;

	for (i = 0; i < 512; i++)
		pt_low[i] = i * 0x1000 | P | RW;	/* 0-2 MiB: 4 KiB pages */
	pd_a[0] = (uint32_t)pt_low | P | RW;
	pd_a[1] = 0x00200000 | P | RW | PS;		/* 2-4 MiB: one 2 MiB page */
}

static void build_pae(void)
{
	build_low();
	pdpt[0] = (uint32_t)pd_a | P;
	pdpt[1] = (uint32_t)pd_b | P;
	pdpt[2] = 0;
	pdpt[3] = (uint32_t)pd_c | P;
	pd_b[0] = (uint32_t)pt_b | P | RW | US;
	pt_b[0] = F(5) | P | RW | US | XD;
	pt_b[1] = F(6) | P | RW;
	pt_b[2] = F(7);					/* not present */
	pd_b[1] = BIG_A | P | RW | US | PS;
	pd_b[2] = BIG_B | 1u << 13 | P | RW | PS;	/* bit 13 reserved */
	pd_b[3] = BIG_B | P | PS | XD;
	pd_c[0x1f5] = 0xfea00000 | P | RW | PS;		/* the MMIO hole */
}

static const struct probe pae_nonx[] = {
	{ 0x40000123, RD, 0 },
	{ 0x40001040, EX, 1 },
	{ 0x40600123, RD, 0 },
	{ 0x40002040, EX, 1 },
};

static const struct probe pae_nx[] = {
	{ 0x40000123, RD, 1 },
	{ 0x40000040, EX, 1 },
	{ 0x40000080, WR | USR, 0 },
	{ 0x40001040, EX | USR, 0 },
	{ 0x40002040, EX, 1 },
	{ 0x40200123, RD | USR, 0 },
	{ 0x40400123, RD, 0 },
	{ 0x40600080, WR, 1 },
	{ 0x40600040, EX, 1 },
	{ 0x80000123, RD, 1 },
	{ 0xfeb00000, RD, 1 },
};

/* ---- stage 3: 4-level paging ---- */

static void build_4level(void)
{
	pml4[0] = (uint32_t)pdpt0 | P | RW | US;
	pml4[1] = (uint32_t)pdpt0 | P | RW | PS;	/* PS reserved here */
	pml4[2] = 0;
	pml4[511] = (uint32_t)pdpt_hi | P | RW;
	pdpt0[0] = (uint32_t)pd_a | P | RW | US;	/* 0-4 MiB, identity */
	pdpt0[1] = 0x00000000 | P | RW | US | PS;	/* 1 GiB -> GPA 0 */
	pdpt0[2] = 0x40000000 | 1u << 13 | P | RW | PS;	/* bit 13 reserved */
	pdpt0[3] = (uint32_t)pd3 | P | RW | US;
	pd3[0] = BIG_B | P | US | PS;
	pd3[1] = (uint32_t)pt3 | P | RW | US;
	pt3[0] = F(0) | P | RW | XD;
	pt3[1] = F(1) | P | RW | US;
	pt3[2] = F(2);					/* not present */
	pd3[0x1f5] = 0xfea00000 | P | RW | PS;		/* the MMIO hole */
	pdpt_hi[510] = (uint32_t)pd_hi | P | RW;	/* the top 2 GiB */
	pd_hi[0] = 0x00200000 | P | RW | PS;
}

static const struct probe l4[] = {
	{ 0x0000000000100000ULL, RD, 1 },
	{ 0x0000000080000123ULL, RD, 0 },	/* bit 13: reserved either way */
	{ 0x00000000c0000123ULL, RD | USR, 0 },
	{ 0x00000000c0000080ULL, WR | USR, 0 },
	{ 0x00000000c0000080ULL, WR, 1 },
	{ 0x00000000c0000040ULL, EX | USR, 0 },
	{ 0x00000000c0200040ULL, EX, 1 },
	{ 0x00000000c0200080ULL, WR, 1 },
	{ 0x00000000c0201040ULL, EX, 1 },
	{ 0x00000000c0202123ULL, RD, 1 },
	{ 0x00000000c0202040ULL, EX | USR, 0 },
	{ 0x0000008000000000ULL, RD, 0 },
	{ 0x0000010000000000ULL, WR | USR, 0 },
	{ 0xffffffff80000123ULL, RD, 0 },
	{ 0x0000800000000000ULL, RD, 0 },
	{ 0x00000000feb00000ULL, RD, 1 },
};

/* 1 GiB pages: PDPTE 1 maps GPA 0-1 GiB. Without them, PS is reserved. */
static const struct opt_probe l4_1g[] = {
	{ { 0x0000000040a00123ULL, RD | USR, 0 },
	  { WALK_OK, 0x00a00123, 30, 14, 0 }, { WALK_PF, 0x0d, 0, 10, 0 } },
	{ { 0x0000000040a00080ULL, WR, 1 },
	  { WALK_OK, 0x00a00080, 30, 14, 0 }, { WALK_PF, 0x0b, 0, 10, 0 } },
	{ { 0x0000000040a00040ULL, EX, 1 },
	  { WALK_OK, 0x00a00040, 30, 14, 0 }, { WALK_PF, 0x19, 0, 10, 0 } },
	/* GPA 48 MiB: past RAM, so the EPT has nothing for it. */
	{ { 0x0000000043000000ULL, RD, 0 },
	  { WALK_OK, 0x03000000, 30, 13, 0x181 }, { WALK_PF, 0x09, 0, 10, 0 } },
};

/* SMEP: no supervisor fetch from a user page (PT3 entry 1 is user). */
static const struct opt_probe l4_smep[] = {
	{ { 0x00000000c0201040ULL, EX, 1 },
	  { WALK_PF, 0x11, 0, 20, 0 }, { WALK_OK, 0x00a01040, 12, 24, 0 } },
	{ { 0x00000000c0201123ULL, RD, 1 },
	  { WALK_OK, 0x00a01123, 12, 24, 0 }, { WALK_OK, 0x00a01123, 12, 24, 0 } },
};

static void load_long_mode_tables(void)
{
	struct desc_ptr g = { sizeof(gdt64) - 1, (uintptr_t)gdt64 };
	struct desc_ptr i = { sizeof(idt64) - 1, (uintptr_t)idt64 };
	unsigned int v;

	for (v = 0; v < 32; v++)
		idt64[v] = idt_gate64(exc64_stubs[v], CODE64_SEL);
	asm volatile("lgdt %0\n\tlidt %1" : : "m"(g), "m"(i) : "memory");
}

/* CPUID: register reg (1 EBX, 2 ECX, 3 EDX) bit `bit` of leaf `leaf`. */
static int has(uint32_t leaf, unsigned int reg, unsigned int bit)
{
	uint32_t r[4];

	cpuid(leaf, &r[1], &r[2], &r[3]);
	return r[reg] >> bit & 1;
}

/* The features every CPU with KVM has; exit if one is missing. */
static void need_features(void)
{
	static const struct {
		uint32_t leaf, reg, bit;
		const char *name;
	} need[] = {
		{ 1, 3, 3, "PSE" }, { 1, 3, 6, "PAE" }, { 1, 3, 17, "PSE-36" },
		{ 0x80000001, 3, 20, "NX" }, { 0x80000001, 3, 29, "long mode" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!has(need[i].leaf, need[i].reg, need[i].bit)) {
			con_printf(NAME ": the CPU lacks %s\n", need[i].name);
			vm_exit(NO_FEATURE);
		}
	}
}

/* Put "jmp edx" where fetch probes land (paging is still off). */
static void plant_returns(void)
{
	static const uint32_t pages[] = {
		F(0), F(1), F(2), F(3), F(4), F(5), F(6), F(7),
		BIG_A, BIG_B, BIG_C,
	};
	unsigned int i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		volatile uint8_t *p = (volatile uint8_t *)(pages[i] + FETCH_OFF);

		p[0] = 0xff;
		p[1] = 0xe2;
	}
}

/*
 * A KVM that cannot run paging outside long mode (a software KVM such as
 * this project's) answers the MOV to CR0 with #GP: say so and stop.
 */
static void no_legacy_paging(struct trap_frame *tf)
{
	con_printf(NAME ": this KVM refused to turn on paging outside long mode (#GP at eip 0x%08x); run this test on a hardware KVM or in the lab machine\n",
		   tf->eip);
	vm_exit(NO_LEGACY);
}

static void stages_legacy(void)
{
	trap_set_handler(VECTOR_GP, no_legacy_paging);
	con_puts("stage 1: 32-bit paging, CR4.PSE=1, CR0.WP=1\n");
	build_32();
	write_cr3((uint32_t)pd32);
	write_cr4(read_cr4() | CR4_PSE);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
	RUN(p32_wp);
	con_puts("stage 1: CR0.WP=0\n");
	write_cr0(read_cr0() & ~CR0_WP);
	flush_tlb();
	RUN(p32_nowp);
	write_cr0(read_cr0() | CR0_WP);

	con_puts("stage 2: PAE paging, EFER.NXE=0\n");
	build_pae();
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr3((uint32_t)pdpt);
	write_cr4(read_cr4() | CR4_PAE);
	write_cr0(read_cr0() | CR0_PG);
	RUN(pae_nonx);
	con_puts("stage 2: EFER.NXE=1\n");
	efer_set(EFER_NXE);
	flush_tlb();
	RUN(pae_nx);
	trap_set_handler(VECTOR_GP, 0);
}

static void stages_long(void)
{
	int smep;

	con_puts("stage 0: no paging (CR0.PG=0)\n");
	RUN(no_paging);

	con_puts("stage 3: 4-level paging (long mode, compatibility mode), EFER.NXE=1, CR0.WP=1\n");
	build_low();
	build_4level();
	load_long_mode_tables();
	write_cr0(read_cr0() | CR0_WP);
	lm_enter((uint32_t)pml4);
	wide = 1;
	RUN(l4);
	con_puts("stage 3: 1 GiB pages, or PS reserved in a PDPTE on a CPU without them\n");
	RUN_OPT(l4_1g, has(0x80000001, 3, 26));
	con_puts("stage 3: CR4.SMEP=1, on a CPU with SMEP\n");
	smep = has(7, 1, 7);
	if (smep)
		write_cr4(read_cr4() | CR4_SMEP);
	RUN_OPT(l4_smep, smep);
}

void guest_main(void)
{
	trap_init();
	trap_set_handler(VECTOR_PF, pf_handler);
	if (inl(WALKDEV_PORT) != WALKDEV_MAGIC) {
		con_printf(NAME ": no walk device at port 0x%x\n", WALKDEV_PORT);
		vm_exit(NO_DEVICE);
	}
	need_features();
	plant_returns();
	if (LEGACY)
		stages_legacy();
	else
		stages_long();

	if (!disagree)
		con_printf(NAME ": all %d probes agree\n", probes);
	else
		con_printf(NAME ": %d of %d probes disagree, the first is %d\n",
			   disagree, probes, first_bad);
	vm_exit((uint8_t)first_bad);
}
