/*
 * msi: message-signalled interrupts sent by the interrupt test device, to
 * two processors (book section 3.4; Intel SDM vol. 3A, 10.11). An MSI is a
 * 32-bit write of `data` to `address`:
 *   address 0xFEE00000 | destination << 12 | RH << 3 | DM << 2
 *   data    vector | delivery mode << 8 (| level << 14 | trigger << 15)
 * DM = 0: the destination is an APIC ID; DM = 1: a logical destination,
 * matched against each local APIC's LDR (flat model: one bit each; the
 * guest gives the BSP bit 0 and the AP bit 1). Fixed delivery goes to
 * every processor the destination names; lowest priority to exactly one
 * of them (which one the platform chooses). An MSI to an APIC ID no
 * processor has reaches nobody. Each check counts the interrupts each
 * processor took; a "fence" MSI to both after each one shows that
 * everything sent before it has been taken: its vector is the lowest, so
 * a processor with both pending takes the other first.
 *
 * Run with 2 processors (our VMM --cpus 2). Built with -DMSI_BY_STORE it
 * is msi-qemu, which sends each MSI by a CPU store to its address instead:
 * QEMU (hw/intc/apic.c) turns such a store, outside the local APIC's
 * registers, into an MSI, so the transcript can be checked on QEMU too
 * (-smp 2,sockets=2). Our VMM does not do that.
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "smp.h"
#include "trap.h"

#define VECTOR_BASE	0x6f
#define VECTOR_FENCE	0x6f	/* below the others: taken after them */
#define NO_SUCH_APIC	0x0f
#define LOGICAL_BSP	0x01
#define LOGICAL_AP	0x02

static unsigned int bsp_id, ap_id;
static volatile int ap_ready;		/* the AP has its LDR */
static volatile unsigned int taken[2][17];	/* [BSP, AP][vector - 0x6f] */

void guest_main(void);

static uint32_t msi_addr(unsigned int dest, int logical, int redirect)
{
	return LAPIC_BASE | dest << 12 | (redirect ? 1u << 3 : 0) |
	       (logical ? 1u << 2 : 0);
}

static void send(uint32_t addr, uint32_t data)
{
#ifdef MSI_BY_STORE
	*(volatile uint32_t *)addr = data;
#else
	irqdev_msi(addr, data);
#endif
}

static void handler(struct trap_frame *tf)
{
	taken[lapic_id() == bsp_id ? 0 : 1][tf->vector - VECTOR_BASE]++;
	lapic_eoi();
}

static void ap_wait(void)
{
	lapic_write(LAPIC_DFR, 0xffffffff);
	lapic_write(LAPIC_LDR, (uint32_t)LOGICAL_AP << 24);
	ap_ready = 1;
	for (;;)
		asm volatile("sti; hlt");
}

/* Wait until both processors have taken `vector` `n` times, or give up. */
static void wait_both(unsigned int vector, unsigned int n)
{
	volatile unsigned int *b = &taken[0][vector - VECTOR_BASE];
	volatile unsigned int *a = &taken[1][vector - VECTOR_BASE];
	int i;

	for (i = 0; i < 1000 && (*b < n || *a < n); i++) {
		irq_enable();
		pit_delay_us(1000);
		irq_disable();
	}
}

static void fence(void)
{
	static unsigned int fences;

	send(msi_addr(LOGICAL_BSP | LOGICAL_AP, 1, 0), VECTOR_FENCE);
	wait_both(VECTOR_FENCE, ++fences);
}

static void expect(unsigned int vector, unsigned int bsp, unsigned int ap)
{
	unsigned int v = vector - VECTOR_BASE;

	check(taken[0][v], bsp, 1, "  taken by the BSP");
	check(taken[1][v], ap, 1, "  taken by the AP");
}

static void fixed(const char *what, unsigned int vector, uint32_t addr,
		  unsigned int bsp, unsigned int ap)
{
	con_printf("fixed, %s: address 0x%08x, data 0x%04x\n", what, addr, vector);
	send(addr, vector);
	fence();
	expect(vector, bsp, ap);
}

void guest_main(void)
{
	struct mp_cpus cpus;
	unsigned int v;

	irq_setup_apic();
	for (v = VECTOR_BASE; v <= 0x7f; v++)
		trap_set_handler(v, handler);
#ifndef MSI_BY_STORE
	if (!irqdev_has_msi()) {
		con_puts("msi: no interrupt test device at port 0x510\n");
		vm_exit(100);
	}
#endif
	if (mp_find_cpus(&cpus) != MP_OK || cpus.count < 2) {
		con_puts("msi: needs an MP table with 2 processors\n");
		vm_exit(101);
	}
	bsp_id = lapic_id();
	ap_id = cpus.apic_id[cpus.bsp == 0 ? 1 : 0];
	lapic_write(LAPIC_DFR, 0xffffffff);
	lapic_write(LAPIC_LDR, (uint32_t)LOGICAL_BSP << 24);
	if (smp_start_ap(ap_id, ap_wait)) {
		con_printf("msi: AP %u did not start\n", ap_id);
		vm_exit(102);
	}
	for (v = 0; v < 1000 && !ap_ready; v++)
		pit_delay_us(1000);
	con_printf("msi: BSP APIC %u (logical 0x%02x), AP APIC %u (logical 0x%02x)\n",
		   bsp_id, LOGICAL_BSP, ap_id, LOGICAL_AP);

	fixed("physical, the BSP", 0x70, msi_addr(bsp_id, 0, 0), 1, 0);
	fixed("physical, the AP", 0x71, msi_addr(ap_id, 0, 0), 0, 1);
	fixed("logical, the AP", 0x72, msi_addr(LOGICAL_AP, 1, 0), 0, 1);
	fixed("logical, both", 0x73, msi_addr(LOGICAL_BSP | LOGICAL_AP, 1, 0), 1, 1);
	fixed("physical, no such APIC", 0x74, msi_addr(NO_SUCH_APIC, 0, 0), 0, 0);

	con_printf("lowest priority, logical, both: address 0x%08x, data 0x%04x\n",
		   msi_addr(LOGICAL_BSP | LOGICAL_AP, 1, 1), 0x175);
	send(msi_addr(LOGICAL_BSP | LOGICAL_AP, 1, 1), APIC_DM_LOWEST | 0x75);
	fence();
	check(taken[0][0x75 - VECTOR_BASE] + taken[1][0x75 - VECTOR_BASE], 1, 1,
	      "  taken by one of them");

	vm_exit(check_done("msi"));
}
