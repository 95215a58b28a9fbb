/*
 * Local APIC helpers for the lab 03 guests (see lapic.h). Book section 3.3.
 */
#include "lapic.h"

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, APIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, APIC_LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, APIC_LVT_MASKED);
}

void lapic_virtual_wire(void)
{
	lapic_write(LAPIC_LVT_LINT0, APIC_DM_EXTINT);
	lapic_write(LAPIC_LVT_LINT1, APIC_DM_NMI);
}

/* A correct APIC clears the pending bit at once; this is only a bound. */
#define IPI_WAIT_POLLS	100000

int lapic_send_ipi(unsigned int dest, uint32_t icr_lo)
{
	int i;

	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	for (i = 0; i < IPI_WAIT_POLLS; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & APIC_DELIVERY_PENDING))
			return 0;
	return -1;
}
