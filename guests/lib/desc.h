/*
 * Descriptors for the guests that load their own GDT and IDT (trap.c, and
 * the lab 02 guests that run 64-bit handlers): flat segment descriptors,
 * the LGDT/LIDT operand and the 64-bit interrupt gate (Intel SDM vol. 3,
 * 3.4.5, 6.10 and 6.14.1).
 */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include <stdint.h>

/* Flat 4 GiB segments; accessed bits preset so the CPU never writes them. */
#define GDT_CODE32	0x00cf9b000000ffffULL	/* 32-bit code, execute/read */
#define GDT_CODE64	0x00af9b000000ffffULL	/* 64-bit code (L = 1) */
#define GDT_DATA	0x00cf93000000ffffULL	/* data, read/write */

/* Present, DPL 0, interrupt gate: 32- or 64-bit, as the mode is. */
#define GATE_INTR	0x8e

/* The operand of LGDT and LIDT: 6 bytes in 32-bit code, 10 in 64-bit. */
struct desc_ptr {
	uint16_t limit;
	uintptr_t base;
} __attribute__((packed));

/* An IDT gate in IA-32e mode: 16 bytes, the handler's full address. */
struct idt_gate64 {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
} __attribute__((packed));

static inline struct idt_gate64 idt_gate64(uint64_t handler, uint16_t selector)
{
	return (struct idt_gate64){
		.offset0 = (uint16_t)handler,
		.selector = selector,
		.type = GATE_INTR,
		.offset1 = (uint16_t)(handler >> 16),
		.offset2 = (uint32_t)(handler >> 32),
	};
}

#endif
