/*
 * The local APIC in xAPIC mode, as the guests of lab 03 use it: its
 * registers at 0xFEE00000 (Intel SDM vol. 3A, chapter 10, Table 10-1), the
 * interrupt command register (10.6.1) and the local vector table (10.5.1).
 * The guests run without paging, so the registers' physical addresses are
 * used directly. Book section 3.3.
 */
#ifndef GUEST_LAPIC_H
#define GUEST_LAPIC_H

#include <stdint.h>

#define LAPIC_BASE	0xfee00000u

/* Register offsets (Table 10-1); every register is 32 bits, 16-byte aligned. */
#define LAPIC_ID	0x020	/* bits 31:24: the APIC ID */
#define LAPIC_VERSION	0x030	/* bits 7:0 version, 23:16 max LVT entry */
#define LAPIC_TPR	0x080	/* task priority */
#define LAPIC_PPR	0x0a0	/* processor priority (read-only) */
#define LAPIC_EOI	0x0b0	/* write 0: end of interrupt */
#define LAPIC_LDR	0x0d0	/* logical destination, bits 31:24 */
#define LAPIC_DFR	0x0e0	/* destination format: 0xffffffff flat */
#define LAPIC_SVR	0x0f0	/* spurious vector, bit 8 APIC enable */
#define LAPIC_ISR	0x100	/* in-service, 8 registers, 0x100-0x170 */
#define LAPIC_TMR	0x180	/* trigger mode, 8 registers */
#define LAPIC_IRR	0x200	/* interrupt request, 8 registers */
#define LAPIC_ESR	0x280	/* error status: write, then read */
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310	/* bits 31:24: the destination */
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERROR	0x370
#define LAPIC_TIMER_ICR	0x380	/* timer initial count */
#define LAPIC_TIMER_CCR	0x390	/* timer current count (read-only) */
#define LAPIC_TIMER_DCR	0x3e0	/* timer divide configuration */

#define LAPIC_SVR_ENABLE	(1u << 8)

/* LVT entries and the ICR share these fields (Figures 10-8 and 10-12). */
#define APIC_DM_FIXED		(0u << 8)
#define APIC_DM_LOWEST		(1u << 8)
#define APIC_DM_NMI		(4u << 8)
#define APIC_DM_INIT		(5u << 8)
#define APIC_DM_STARTUP		(6u << 8)
#define APIC_DM_EXTINT		(7u << 8)
#define APIC_DEST_LOGICAL	(1u << 11)
#define APIC_DELIVERY_PENDING	(1u << 12)	/* "send pending", read-only */
#define APIC_LEVEL_ASSERT	(1u << 14)
#define APIC_TRIGGER_LEVEL	(1u << 15)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_TIMER_PERIODIC	(1u << 17)	/* LVT timer mode, bits 18:17 */
#define APIC_DEST_SELF		(1u << 18)	/* shorthands, bits 19:18 */
#define APIC_DEST_ALL		(2u << 18)
#define APIC_DEST_OTHERS	(3u << 18)

/* Timer divide configuration values (Figure 10-10): bits 3, 1, 0. */
#define APIC_DIV_1		0xb
#define APIC_DIV_2		0x0
#define APIC_DIV_16		0x3
#define APIC_DIV_128		0xa

#define APIC_SPURIOUS_VECTOR	0xff	/* bits 3:0 are ones, as the P6 needs */

static inline uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static inline unsigned int lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static inline void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Bit `vector` of a 256-bit register (ISR, TMR or IRR). */
static inline int lapic_vector_bit(uint32_t reg, unsigned int vector)
{
	return lapic_read(reg + (vector / 32) * 0x10) >> (vector % 32) & 1;
}

/* Software-enable the APIC with TPR 0 and every LVT entry masked. */
void lapic_enable(void);

/*
 * Virtual wire mode (MP spec 1.4, 3.6.2.2): LINT0 takes the 8259A's INTR
 * as ExtINT, LINT1 the NMI line. The PIC guests set this up themselves
 * rather than trust what firmware left.
 */
void lapic_virtual_wire(void);

/*
 * Send an IPI: the destination into ICR_HI, then `icr_lo` (vector, delivery
 * mode, shorthand...) into ICR_LO, which sends it; then wait for the send
 * to complete. Returns 0, or -1 if the delivery status stayed pending.
 */
int lapic_send_ipi(unsigned int dest, uint32_t icr_lo);

#endif
