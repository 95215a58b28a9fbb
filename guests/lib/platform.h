/*
 * The guest-visible platform of every lab (guests/README.md): debug console,
 * exit device, test device, hypervisor CPUID leaves and the VMM's MSR, plus
 * the two ways a test guest ends.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdint.h>
#include "io.h"

#define DEBUG_CONSOLE_PORT	0xe9	/* a 1-byte write prints it; reads 0xe9 */
#define EXIT_PORT		0xf4	/* 0xf4-0xf7: write v, VMM exits (v << 1) | 1 */

/* The test device: the same registers in a port block and an MMIO block. */
#define TESTDEV_PORT		0x500
#define TESTDEV_MMIO		0xfeb00000UL
#define TESTDEV_SCRATCH		0x0	/* 8 bytes of storage */
#define TESTDEV_LAST		0x8	/* width | offset << 8 of the last SCRATCH write */
#define TESTDEV_SEQ		0xc	/* counter, incremented by every read */

/*
 * Lab 03's interrupt test device (guests/README.md). Interrupt lines: a
 * 1-byte write of v to port 0x2000 + n drives line n high (v != 0) or low
 * (v = 0), the layout of QEMU's pc-testdev, so these guests also run under
 * QEMU with -device pc-testdev (lines 0-15 there). MSIs: our VMM only.
 */
#define IRQDEV_LINE_PORT	0x2000
#define IRQDEV_MSI_PORT		0x510
#define IRQDEV_MSI_ADDR		0x0	/* read/write: the MSI's address */
#define IRQDEV_MSI_DATA		0x4	/* a write sends (ADDR, data) */
#define IRQDEV_ID		0xc	/* reads IRQDEV_SIGNATURE */
#define IRQDEV_SIGNATURE	0x54515249	/* "IRQT", little-endian */

/*
 * The watchdog of a wait for an interrupt (our VMM only; QEMU ignores
 * the port): a 4-byte write of ms arms it, 0 disarms it. If it expires,
 * the VMM ends the run as if the guest had written IRQDEV_WATCHDOG_CODE
 * to the exit device: a VMM that never delivers the interrupt fails the
 * test at once instead of leaving the guest halted until its time limit.
 */
#define IRQDEV_WATCHDOG_PORT	0x2018
#define IRQDEV_WATCHDOG_CODE	126	/* exit status 253 */

static inline void irqdev_line(unsigned int n, int level)
{
	outb(IRQDEV_LINE_PORT + n, level ? 1 : 0);
}

/* An edge: the line up and down again. */
static inline void irqdev_pulse(unsigned int n)
{
	irqdev_line(n, 1);
	irqdev_line(n, 0);
}

/*
 * The watchdog's bound for a wait for what comes at once on a platform
 * that works (irq_wait() in trap.h, a UART's loopback byte): within
 * milliseconds, so 2 s is hundreds of times more than any needs, and a
 * VMM that never delivers fails in 2 s. A guest whose events are rarer
 * defines a longer one before its first include of this file.
 */
#ifndef IRQ_WAIT_MS
#define IRQ_WAIT_MS	2000
#endif

static inline void irqdev_watchdog(unsigned int ms)
{
	outl(IRQDEV_WATCHDOG_PORT, ms);
}

static inline int irqdev_has_msi(void)
{
	return inl(IRQDEV_MSI_PORT + IRQDEV_ID) == IRQDEV_SIGNATURE;
}

/* Have the device send one MSI: the address, then the data. */
static inline void irqdev_msi(uint32_t addr, uint32_t data)
{
	outl(IRQDEV_MSI_PORT + IRQDEV_MSI_ADDR, addr);
	outl(IRQDEV_MSI_PORT + IRQDEV_MSI_DATA, data);
}

#define CPUID_HV_BASE		0x40000000	/* max hypervisor leaf + signature */
#define CPUID_HV_FEATURES	0x40000001	/* all zeros */
#define CPUID_HV_SIGNATURE	"vmmlabvmmlab"

#define MSR_VMMLAB_SCRATCH	0x564d0000
#define MSR_VMMLAB_INITIAL	0x000062616c6d6d76ULL	/* "vmmlab", little-endian */

/* Status 0 on our VMM: lab 01 has no interrupts, so nothing wakes a HLT. */
static inline __attribute__((noreturn)) void halt(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

/*
 * Stop the VM with exit status (code << 1) | 1. If no exit device answered
 * (a VMM or QEMU without one), HLT rather than run on.
 */
static inline __attribute__((noreturn)) void vm_exit(uint8_t code)
{
	outb(EXIT_PORT, code);
	halt();
}

#endif
