/*
 * smp-hello: the BSP finds the processors in the MP table (MultiProcessor
 * Specification 1.4, chapter 4) and starts each AP with INIT-SIPI-SIPI
 * through its local APIC (book section 1.4; lib/smp.c). Each AP says hello
 * with its own APIC ID, read from its local APIC, and halts; the BSP
 * starts the next one only after the previous has spoken, so the order is
 * the table's. The transcript is for 4 processors (QEMU -smp 4, our VMM
 * --cpus 4); with N the hellos are N - 1.
 *
 * Exit codes: 0 all started; 1 no MP table; 2 an AP did not start; 3 an
 * AP did not say hello; 4 an AP's APIC ID is not the table's.
 */
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "smp.h"

static volatile int print_lock;
static volatile int said_hello;
static volatile unsigned int hello_id;

void guest_main(void);

static void ap_hello(void)
{
	spin_lock(&print_lock);
	con_printf("AP with local APIC ID %u: hello\n", lapic_id());
	spin_unlock(&print_lock);
	hello_id = lapic_id();
	said_hello = 1;
}

static int start(unsigned int id)
{
	int i;

	said_hello = 0;
	if (smp_start_ap(id, ap_hello)) {
		con_printf("AP %u did not start\n", id);
		return 2;
	}
	for (i = 0; i < 1000 && !said_hello; i++)
		pit_delay_us(1000);
	if (!said_hello) {
		con_printf("AP %u did not say hello\n", id);
		return 3;
	}
	if (hello_id != id) {
		con_printf("AP %u says its APIC ID is %u\n", id, hello_id);
		return 4;
	}
	return 0;
}

void guest_main(void)
{
	struct mp_cpus cpus;
	enum mp_error err;
	unsigned int i;
	int code;

	irq_setup_apic();
	err = mp_find_cpus(&cpus);
	if (err != MP_OK) {
		con_printf("smp-hello: no usable MP table (error %u)\n", err);
		vm_exit(1);
	}
	con_printf("smp-hello: MP table: %u processors, local APICs at 0x%08x, I/O APIC at 0x%08x\n",
		   cpus.count, cpus.lapic_addr, cpus.ioapic_addr);
	con_printf("BSP: local APIC ID %u (table: %u)\n", lapic_id(),
		   cpus.apic_id[cpus.bsp]);
	for (i = 0; i < cpus.count; i++) {
		if (i == cpus.bsp)
			continue;
		code = start(cpus.apic_id[i]);
		if (code)
			vm_exit((uint8_t)code);
	}
	con_printf("smp-hello: %u APs started, each said hello\n", cpus.count - 1);
	vm_exit(0);
}
