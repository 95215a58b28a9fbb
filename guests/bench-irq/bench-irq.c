/*
 * bench-irq (and bench-irq-0): the cost of one timer interrupt, for the
 * measurement of lab 03 (labs/03-pic-apic/bench/irq.sh; book §3.2.8, §3.5).
 *
 * BENCH_IRQ_N times: arm the local APIC timer, one-shot, divide by 1, for
 * COUNT bus clocks (COUNT ns at the 1 GHz bus clock of KVM's local APIC
 * and ours); note the TSC when the write is done; wait with STI; HLT; and
 * note the TSC again first thing in the handler. The latency of one
 * interrupt is the second TSC minus the first minus COUNT ns in TSC
 * cycles: how late the handler started after the timer expired, the
 * VMM's and KVM's work for one interrupt. The TSC's rate is measured first
 * against the PIT (counter 2, polled). The guest prints the median and the
 * lowest latency and exits with code 0; bench-irq-0 takes no interrupt and
 * prints a line of the same length (zeros), so that the exits of the
 * set-up and of the output can be subtracted.
 *
 * Between two interrupts the guest makes exactly the accesses a timer
 * interrupt needs: the write that arms the timer, HLT, and the EOI; with
 * the local APIC in KVM none of them leaves the kernel.
 */
#include "bench.h"
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_TIMER	0x40
#define COUNT		100000		/* bus clocks: 100 us */
#define CALIBRATE_US	50000

void guest_main(void);

static volatile unsigned int taken;
static volatile uint64_t t_handler;
static uint32_t lat[BENCH_IRQ_N + 1];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void timer(struct trap_frame *tf)
{
	(void)tf;
	t_handler = rdtsc();
	taken++;
	lapic_eoi();
}

/*
 * TSC cycles per microsecond, against the PIT's 1.193182 MHz (in 32 bits:
 * the guests have no 64-bit division, and 50 ms of a TSC below 80 GHz
 * fit).
 */
static uint32_t tsc_per_us(void)
{
	uint64_t t0 = rdtsc();

	pit_delay_us(CALIBRATE_US);
	return (uint32_t)(rdtsc() - t0) / CALIBRATE_US;
}

static void sort(uint32_t *a, unsigned int n)
{
	unsigned int i, j;
	uint32_t v;

	for (i = 1; i < n; i++) {
		v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

void guest_main(void)
{
	volatile unsigned int n = BENCH_IRQ_N;	/* 0 in bench-irq-0 */
	uint32_t per_us, expiry;
	uint64_t armed;
	unsigned int i;

	irq_setup_apic();
	trap_set_handler(VECTOR_TIMER, timer);
	per_us = tsc_per_us();
	lapic_write(LAPIC_TIMER_DCR, APIC_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER);
	expiry = per_us * COUNT / 1000;
	/*
	 * The ':' and the byte after it bracket the interrupts: bench/irq.sh
	 * counts only the exits between these two writes to the debug
	 * console (the PIT polled above exits a number of times that
	 * depends on the host's load).
	 */
	con_printf("bench-irq:");
	for (i = 0; i < n; i++) {
		lapic_write(LAPIC_TIMER_ICR, COUNT);
		armed = rdtsc();
		while (taken == i)
			asm volatile("sti; hlt; cli" : : : "memory");
		lat[i] = t_handler > armed + expiry ?
			 (uint32_t)(t_handler - armed - expiry) : 0;
	}
	/*
	 * Both guests print a line of the same length: each byte is an exit
	 * to the VMM, and only the interrupts may differ between the two.
	 */
	sort(lat, n);
	con_printf(" %5u interrupts, latency in TSC cycles: median %10u, lowest %10u; 1 us = %10u TSC cycles\n",
		   n, lat[n / 2], lat[0], per_us);
	vm_exit(0);
}
