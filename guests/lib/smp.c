/*
 * The MP table and AP start-up for the lab 03 guests (see smp.h). Intel
 * MultiProcessor Specification 1.4: 4.1 (the floating pointer and where
 * it is), 4.2-4.3 (the configuration table and its entries), B.4 (the
 * start-up sequence); Intel SDM vol. 3A, 8.4.4. Book section 1.4.
 */
#include "lapic.h"
#include "pit.h"
#include "smp.h"
#include "trap.h"

#define AP_STACK_SIZE	4096
#define START_WAIT_MS	1000

struct mp_floating {
	char signature[4];	/* "_MP_" */
	uint32_t config;	/* physical address of the configuration table */
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;	/* 4 for version 1.4 */
	uint8_t checksum;
	uint8_t feature[5];	/* feature[0] != 0: a default configuration */
} __attribute__((packed));

struct mp_config {
	char signature[4];	/* "PCMP" */
	uint16_t length;	/* of the base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8], product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entries;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_IOINTR, MP_LINTR };

struct mp_processor {
	uint8_t type, apic_id, apic_version, flags;	/* bit 0 EN, 1 BP */
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, id, version, flags;		/* bit 0 EN */
	uint32_t addr;
} __attribute__((packed));

uint32_t mp_floating_pointer;
uint32_t ap_stack_top;
static void (*volatile ap_fn)(void);
static volatile int ap_started;
static uint8_t ap_stacks[SMP_MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static unsigned int aps;

extern const uint8_t ap_tramp_start[], ap_tramp_end[];
void ap_entry_c(void);

static uint8_t sum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static uint32_t scan(uint32_t base, uint32_t len)
{
	uint32_t a;

	for (a = base; a + 16 <= base + len; a += 16) {
		const struct mp_floating *f = (const void *)a;

		if (!__builtin_memcmp(f->signature, "_MP_", 4) && f->length == 1 &&
		    !sum(f, 16))
			return a;
	}
	return 0;
}

/* A word of the BIOS data area (GCC rejects a plain pointer that low). */
static uint32_t bda_word(uint32_t addr)
{
	uint16_t v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(addr));
	return v;
}

static uint32_t find_floating(void)
{
	uint32_t ebda = bda_word(0x40e) << 4;
	uint32_t base_kib = bda_word(0x413);
	uint32_t a = 0;

	if (ebda)
		a = scan(ebda, 1024);
	if (!a && base_kib)
		a = scan((base_kib - 1) * 1024, 1024);
	if (!a)
		a = scan(0xf0000, 0x10000);
	return a;
}

static enum mp_error read_entries(const struct mp_config *c, struct mp_cpus *cpus)
{
	const uint8_t *p = (const uint8_t *)(c + 1);
	const uint8_t *end = (const uint8_t *)c + c->length;
	unsigned int i;

	for (i = 0; i < c->entries; i++) {
		const struct mp_processor *cpu = (const void *)p;
		const struct mp_ioapic *io = (const void *)p;
		unsigned int size = *p == MP_PROCESSOR ? 20 : 8;

		if (*p > MP_LINTR || p + size > end)
			return MP_BAD_TABLE;
		if (*p == MP_PROCESSOR && (cpu->flags & 1)) {
			if (cpus->count == SMP_MAX_CPUS)
				return MP_TOO_MANY_CPUS;
			if (cpu->flags & 2)
				cpus->bsp = cpus->count;
			cpus->apic_id[cpus->count++] = cpu->apic_id;
		}
		if (*p == MP_IOAPIC && (io->flags & 1) && !cpus->ioapic_addr)
			cpus->ioapic_addr = io->addr;
		p += size;
	}
	return MP_OK;
}

enum mp_error mp_find_cpus(struct mp_cpus *cpus)
{
	const struct mp_floating *f;
	const struct mp_config *c;

	__builtin_memset(cpus, 0, sizeof(*cpus));
	mp_floating_pointer = find_floating();
	if (!mp_floating_pointer)
		return MP_NO_FLOATING_POINTER;
	f = (const void *)mp_floating_pointer;
	if (f->feature[0])
		return MP_DEFAULT_CONFIG;
	c = (const void *)f->config;
	if (__builtin_memcmp(c->signature, "PCMP", 4) || c->length < sizeof(*c) ||
	    sum(c, c->length))
		return MP_BAD_TABLE;
	cpus->lapic_addr = c->lapic_addr;
	return read_entries(c, cpus);
}

/* Called by ap16.asm on the AP's own stack, in flat protected mode. */
void ap_entry_c(void)
{
	void (*fn)(void) = ap_fn;

	trap_load();
	lapic_enable();
	ap_started = 1;
	fn();
}

int smp_start_ap(unsigned int apic_id, void (*fn)(void))
{
	uint32_t sipi = APIC_DM_STARTUP | AP_TRAMPOLINE >> 12;
	int i;

	if (aps == SMP_MAX_CPUS)
		return -1;
	__builtin_memcpy((void *)AP_TRAMPOLINE, ap_tramp_start,
	       (uint32_t)(ap_tramp_end - ap_tramp_start));
	ap_stack_top = (uint32_t)ap_stacks[aps++] + AP_STACK_SIZE;
	ap_fn = fn;
	ap_started = 0;

	lapic_send_ipi(apic_id, APIC_DM_INIT | APIC_LEVEL_ASSERT);
	pit_delay_us(10000);
	lapic_send_ipi(apic_id, sipi);
	pit_delay_us(200);
	if (!ap_started)
		lapic_send_ipi(apic_id, sipi);
	for (i = 0; i < START_WAIT_MS && !ap_started; i++)
		pit_delay_us(1000);
	return ap_started ? 0 : -1;
}
