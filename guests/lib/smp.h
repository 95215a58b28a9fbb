/*
 * Multiprocessor start-up for the lab 03 guests (book section 1.4): the
 * processors as the Intel MultiProcessor Specification 1.4's MP table
 * lists them, the INIT-SIPI-SIPI sequence that starts an application
 * processor (AP), and a spinlock.
 *
 * An AP starts in real mode at the SIPI's vector times 4 KiB: ap16.asm's
 * trampoline, copied to AP_TRAMPOLINE, loads a flat GDT, enters protected
 * mode and jumps to 32-bit code that takes the stack the BSP set aside,
 * loads our GDT and IDT, software-enables its local APIC and calls the
 * function smp_start_ap() was given. If that returns, the AP halts with
 * interrupts disabled.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

#define SMP_MAX_CPUS	8
#define AP_TRAMPOLINE	0x8000	/* 0x8000-0x80ff; SIPI vector 0x08 */

struct mp_cpus {
	unsigned int count;		/* enabled processors */
	uint8_t apic_id[SMP_MAX_CPUS];	/* in the table's order */
	unsigned int bsp;		/* index of the BSP in apic_id[] */
	uint32_t lapic_addr;		/* from the configuration table */
	uint32_t ioapic_addr;		/* first I/O APIC entry, 0 if none */
};

/* Why mp_find_cpus() failed. */
enum mp_error {
	MP_OK,
	MP_NO_FLOATING_POINTER,		/* "_MP_" with a good checksum */
	MP_DEFAULT_CONFIG,		/* feature byte 1 != 0: no table */
	MP_BAD_TABLE,			/* "PCMP", checksum, or an entry */
	MP_TOO_MANY_CPUS,
};

/*
 * Find the floating pointer where MP spec 4.1 says to look: the first KiB
 * of the EBDA (segment at 0x40E), the last KiB of base memory (KiB at
 * 0x413), then the BIOS ROM 0xF0000-0xFFFFF; then read the configuration
 * table's processor and I/O APIC entries.
 */
enum mp_error mp_find_cpus(struct mp_cpus *cpus);

/* Where the floating pointer was found (valid after MP_OK). */
extern uint32_t mp_floating_pointer;

/*
 * Start the AP with local APIC ID `apic_id`: INIT, 10 ms, SIPI, 200 us,
 * and a second SIPI if it has not started (MP spec B.4); then wait until
 * it runs. It calls fn(). Returns 0, or -1 if it never started.
 */
int smp_start_ap(unsigned int apic_id, void (*fn)(void));

static inline void spin_lock(volatile int *lock)
{
	int one = 1;

	for (;;) {
		asm volatile("xchg %0, %1" : "+r"(one), "+m"(*lock) : : "memory");
		if (!one)
			return;
		while (*lock)
			asm volatile("pause");
		one = 1;
	}
}

static inline void spin_unlock(volatile int *lock)
{
	asm volatile("" : : : "memory");
	*lock = 0;
}

#endif
