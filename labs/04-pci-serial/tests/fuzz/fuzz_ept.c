/*
 * fuzz_ept.c - the EPT (src/ept.c): building it for any regions, then
 * the EPT walk and the two-dimensional walk on tables the input has
 * corrupted at will, with any guest page tables and control registers.
 *
 * Input: a region list for ept_build() (up to 4 regions of GPA, size,
 * host address, permissions; their host addresses are never read, as
 * the walks run on the second EPT only), then that second EPT: guest
 * RAM of 2 MiB at a GPA the input picks, mapped with pages of at most
 * 4 KiB, 2 MiB or 1 GiB; up to 32 entries the input rewrites (a table,
 * an index, and either a pointer to one of the EPT's tables with any
 * low bits, or any 64-bit value); CR0, CR3, CR4, EFER; up to 8 probes
 * of an address and an access; the first 64 KiB of guest RAM.
 *
 * Covers: src/mem/ept.c
 */
#include <stdlib.h>
#include <string.h>

#include "mem/ept.h"
#include "fuzz.h"

#define RAM_SIZE	(2ULL << 20)
#define MAX_TABLES	64

static const uint64_t pages[] = { 1ULL << 12, 1ULL << 21, 1ULL << 30 };

static void build_any(struct fuzz_in *in)
{
	struct ept_region r[4];
	struct ept e;
	unsigned int i, n = fz_u8(in) % 5;

	for (i = 0; i < n; i++) {
		r[i].gpa = fz_u64(in);
		r[i].size = fz_u64(in);
		r[i].hpa = fz_u64(in);
		r[i].perms = fz_u8(in);
	}
	if (ept_init(&e, MAX_TABLES))
		abort();
	ept_build(&e, r, n, pages[fz_u8(in) % 3]);
	ept_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct ept_2d_result res2;
	struct ept_walk_result res;
	struct pagewalk_cpu cpu;
	struct ept_region r;
	struct fuzz_in in;
	const uint8_t *p;
	struct ept e;
	unsigned int i, n, t, access[8];
	uint64_t *table, v, gva[8];
	size_t len;

	if (!ram && posix_memalign((void **)&ram, 4096, RAM_SIZE))
		abort();
	memset(ram, 0, RAM_SIZE);
	fz_init(&in, data, size);
	build_any(&in);

	r.gpa = (fz_u32(&in) & 0xfff) * RAM_SIZE;
	r.size = RAM_SIZE;
	r.hpa = (uint64_t)(uintptr_t)ram;
	r.perms = fz_u8(&in) & EPT_RWX;
	if (ept_init(&e, MAX_TABLES))
		abort();
	ept_build(&e, &r, 1, pages[fz_u8(&in) % 3]);
	n = fz_u8(&in) % 33;
	for (i = 0; i < n; i++) {
		table = ept_table(&e, (uint64_t)(uintptr_t)e.tables +
				  (fz_u8(&in) % e.nr_tables) * 4096ULL);
		t = fz_u16(&in) % 512;
		v = fz_u64(&in);
		if (table && (v & 1))	/* a pointer to one of our tables */
			v = (uint64_t)(uintptr_t)e.tables +
			    ((v >> 1) % e.nr_tables) * 4096 + ((v >> 8) & 0xfff);
		if (table)
			table[t] = v;
	}
	memset(&cpu, 0, sizeof(cpu));
	cpu.cr0 = fz_u64(&in);
	cpu.cr3 = fz_u64(&in);
	cpu.cr4 = fz_u64(&in);
	cpu.efer = fz_u64(&in);
	cpu.mode = pagewalk_mode(cpu.cr0, cpu.cr4, cpu.efer);
	n = 1 + fz_u8(&in) % 8;
	for (i = 0; i < n; i++) {
		gva[i] = fz_u64(&in);
		access[i] = fz_u8(&in);
	}
	p = fz_bytes(&in, 64 << 10, &len);
	memcpy(ram, p, len);
	for (i = 0; i < n; i++) {
		ept_walk(&e, gva[i], access[i], &res);
		ept_walk2d(&e, &cpu, gva[i], access[i], &res2);
	}
	ept_free(&e);
	return 0;
}
