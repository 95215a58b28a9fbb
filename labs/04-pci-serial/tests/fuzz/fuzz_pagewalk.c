/*
 * fuzz_pagewalk.c - the page walker (src/pagewalk.c) on any control
 * registers and any page tables: 32-bit, PAE and 4-level paging, the
 * PDPTE registers, every access.
 *
 * Input: CR0, CR3, CR4, EFER (8 bytes each), MAXPHYADDR (1), flags (1:
 * no 1 GiB pages, PDPTE registers), the four PDPTEs (8 each), then up to
 * 8 probes of a GVA (8) and an access (1), then guest memory from GPA 0
 * (at most 64 KiB; reads past it fail, as a table outside guest memory
 * does). Random tables reach every level: an entry is present half the
 * time.
 *
 * Covers: src/mem/pagewalk.c
 */
#include <string.h>

#include "fuzz.h"
#include "mem/pagewalk.h"

#define MEM_MAX		(64 << 10)

struct mem {
	const uint8_t *p;
	size_t len;
};

static int mem_read(void *opaque, uint64_t gpa, unsigned int size, uint64_t *value)
{
	const struct mem *m = opaque;
	uint64_t v = 0;

	if (gpa > m->len || size > m->len - gpa)
		return -1;
	memcpy(&v, m->p + gpa, size);
	*value = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pagewalk_cpu cpu;
	struct pagewalk_result res;
	uint64_t pdpte[4], gva[8];
	unsigned int access[8], i, n;
	struct fuzz_in in;
	struct mem m;
	uint8_t flags;

	fz_init(&in, data, size);
	memset(&cpu, 0, sizeof(cpu));
	cpu.cr0 = fz_u64(&in);
	cpu.cr3 = fz_u64(&in);
	cpu.cr4 = fz_u64(&in);
	cpu.efer = fz_u64(&in);
	cpu.mode = pagewalk_mode(cpu.cr0, cpu.cr4, cpu.efer);
	cpu.maxphyaddr = fz_u8(&in);
	flags = fz_u8(&in);
	cpu.no_gbpages = flags & 1;
	for (i = 0; i < 4; i++)
		pdpte[i] = fz_u64(&in);
	if (flags & 2)
		cpu.pdpte = pdpte;
	n = 1 + fz_u8(&in) % 8;
	for (i = 0; i < n; i++) {
		gva[i] = fz_u64(&in);
		access[i] = fz_u8(&in);
	}
	m.p = fz_bytes(&in, MEM_MAX, &m.len);
	for (i = 0; i < n; i++)
		pagewalk(&cpu, gva[i], access[i], mem_read, &m, &res);
	return 0;
}
