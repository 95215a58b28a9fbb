/*
 * ipi-pingpong: two processors send fixed IPIs back and forth through
 * their local APICs' interrupt command registers (book section 3.3; Intel
 * SDM vol. 3A, 10.6). The BSP sends vector 0x50 to the AP (physical
 * destination: its APIC ID); the AP's handler answers with vector 0x51 to
 * the BSP; ROUNDS times. Then the destination shorthands: "all excluding
 * self" reaches only the AP, "all including self" both. Each handler
 * checks that it runs on the processor the IPI was sent to.
 * Run with 2 processors (QEMU -smp 2,sockets=2; our VMM --cpus 2).
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "smp.h"
#include "trap.h"

#define ROUNDS		100
#define VECTOR_PING	0x50	/* to the AP */
#define VECTOR_PONG	0x51	/* to the BSP */
#define VECTOR_ALL	0x52	/* by shorthand */

static unsigned int bsp_id, ap_id;
static volatile unsigned int pings, pongs, wrong_cpu;
static volatile unsigned int all_bsp, all_ap;

void guest_main(void);

static void ping(struct trap_frame *tf)
{
	(void)tf;
	if (lapic_id() != ap_id)
		wrong_cpu++;
	pings++;
	lapic_eoi();
	lapic_send_ipi(bsp_id, VECTOR_PONG);
}

static void pong(struct trap_frame *tf)
{
	(void)tf;
	if (lapic_id() != bsp_id)
		wrong_cpu++;
	pongs++;
	lapic_eoi();
	if (pongs < ROUNDS)
		lapic_send_ipi(ap_id, VECTOR_PING);
}

static void all(struct trap_frame *tf)
{
	(void)tf;
	if (lapic_id() == bsp_id)
		all_bsp++;
	else
		all_ap++;
	lapic_eoi();
}

/* The AP: take interrupts forever. */
static void ap_wait(void)
{
	for (;;)
		asm volatile("sti; hlt");
}

/* Poll for the AP's count, which no interrupt of ours announces. */
static unsigned int wait_ap(volatile unsigned int *count, unsigned int n)
{
	int i;

	for (i = 0; i < 1000 && *count < n; i++)
		pit_delay_us(1000);
	return *count;
}

void guest_main(void)
{
	struct mp_cpus cpus;

	irq_setup_apic();
	trap_set_handler(VECTOR_PING, ping);
	trap_set_handler(VECTOR_PONG, pong);
	trap_set_handler(VECTOR_ALL, all);
	if (mp_find_cpus(&cpus) != MP_OK || cpus.count < 2) {
		con_puts("ipi-pingpong: needs an MP table with 2 processors\n");
		vm_exit(100);
	}
	bsp_id = lapic_id();
	ap_id = cpus.apic_id[cpus.bsp == 0 ? 1 : 0];
	if (smp_start_ap(ap_id, ap_wait)) {
		con_printf("ipi-pingpong: AP %u did not start\n", ap_id);
		vm_exit(101);
	}
	con_printf("ipi-pingpong: BSP (APIC %u) and AP (APIC %u), %u round trips\n",
		   bsp_id, ap_id, ROUNDS);
	lapic_send_ipi(ap_id, VECTOR_PING);
	irq_wait(&pongs, ROUNDS);
	check(pings, ROUNDS, 2, "pings taken by the AP");
	check(pongs, ROUNDS, 2, "pongs taken by the BSP");

	con_printf("vector 0x%02x to all excluding self\n", VECTOR_ALL);
	lapic_send_ipi(0, APIC_DEST_OTHERS | VECTOR_ALL);
	check(wait_ap(&all_ap, 1), 1, 1, "  taken by the AP");
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(all_bsp, 0, 1, "  taken by the BSP");
	con_printf("vector 0x%02x to all including self\n", VECTOR_ALL);
	lapic_send_ipi(0, APIC_DEST_ALL | VECTOR_ALL);
	irq_wait(&all_bsp, 1);
	check(all_bsp, 1, 1, "  taken by the BSP");
	check(wait_ap(&all_ap, 2), 2, 1, "  taken by the AP, in all");
	check(wrong_cpu, 0, 1, "handlers run on the wrong processor");
	vm_exit(check_done("ipi-pingpong"));
}
