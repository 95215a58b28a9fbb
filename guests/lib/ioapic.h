/*
 * The I/O APIC (Intel 82093AA datasheet): an index register and a data
 * window at 0xFEC00000, and one 64-bit redirection entry per input pin
 * (datasheet 3.2.4). Book section 3.3.
 */
#ifndef GUEST_IOAPIC_H
#define GUEST_IOAPIC_H

#include <stdint.h>

#define IOAPIC_BASE	0xfec00000u
#define IOAPIC_REGSEL	0x00
#define IOAPIC_WIN	0x10

#define IOAPIC_REG_ID	0x00
#define IOAPIC_REG_VER	0x01	/* bits 23:16: the highest entry's index */
#define IOAPIC_REG_REDIR(pin)	(0x10 + 2 * (pin))	/* low half; +1 high */

/* Redirection entry, low half; the high half holds the destination. */
#define IOAPIC_DM_FIXED		(0u << 8)
#define IOAPIC_DM_LOWEST	(1u << 8)
#define IOAPIC_DM_NMI		(4u << 8)
#define IOAPIC_DEST_LOGICAL	(1u << 11)
#define IOAPIC_DELIVS		(1u << 12)	/* read-only: send pending */
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_REMOTE_IRR	(1u << 14)	/* read-only */
#define IOAPIC_LEVEL		(1u << 15)
#define IOAPIC_MASKED		(1u << 16)

static inline uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN);
}

static inline void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN) = v;
}

/* Program a pin: the high half (destination) first, while still masked. */
static inline void ioapic_route(unsigned int pin, uint32_t lo, unsigned int dest)
{
	ioapic_write(IOAPIC_REG_REDIR(pin), IOAPIC_MASKED);
	ioapic_write(IOAPIC_REG_REDIR(pin) + 1, dest << 24);
	ioapic_write(IOAPIC_REG_REDIR(pin), lo);
}

static inline uint32_t ioapic_entry_lo(unsigned int pin)
{
	return ioapic_read(IOAPIC_REG_REDIR(pin));
}

/* Mask every pin, whatever firmware left there. */
static inline void ioapic_mask_all(void)
{
	unsigned int n = (ioapic_read(IOAPIC_REG_VER) >> 16 & 0xff) + 1;
	unsigned int pin;

	for (pin = 0; pin < n; pin++)
		ioapic_write(IOAPIC_REG_REDIR(pin), IOAPIC_MASKED);
}

#endif
