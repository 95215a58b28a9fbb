/*
 * The teaching PCI device compatible with QEMU's edu (QEMU's
 * docs/specs/edu.rst): PCI ID 1234:11e8, BAR0 a 1 MiB memory region of
 * registers, 4-byte accesses below 0x80, 4 or 8 bytes from 0x80 on. Its
 * DMA engine copies between guest-physical memory and a 4 KiB buffer at
 * device address 0x40000, using the low 28 bits of the guest-physical
 * address (the device's default DMA mask). Book section 4.2.
 */
#ifndef GUEST_EDU_H
#define GUEST_EDU_H

#include <stdint.h>
#include "pci.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

/* Where our guests put BAR0: in the PCI hole, below the test device. */
#define EDU_BAR			0xfea00000u
#define EDU_BAR_SIZE		0x100000u

#define EDU_ID			0x00	/* 0xRRrr00ed: major, minor version */
#define EDU_ID_1_0		0x010000edu
#define EDU_LIVENESS		0x04	/* reads back the inverse of a write */
#define EDU_FACT		0x08	/* write n, read n! when not computing */
#define EDU_STATUS		0x20
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80	/* 8 bytes */
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98

#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
#define EDU_IRQ_FACT		0x001	/* the factorial's interrupt value */
#define EDU_IRQ_DMA		0x100	/* the DMA's interrupt value */
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2	/* else from RAM to the device */
#define EDU_DMA_IRQ		0x4
#define EDU_DMA_BUF		0x40000u
#define EDU_DMA_BUF_SIZE	4096u
#define EDU_DMA_MASK		0x0fffffffu

static inline uint32_t edu_read(uint32_t bar, unsigned int reg)
{
	return *(volatile uint32_t *)(bar + reg);
}

static inline void edu_write(uint32_t bar, unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(bar + reg) = v;
}


/*
 * Find the device on bus 0, put BAR0 at `bar` and enable memory decode and
 * bus mastering (INTx left enabled). Returns its bdf, or -1. When the
 * device does not identify itself at `bar` then, prints why and ends the
 * run with code EDU_NO_ANSWER: the guests poll edu, and would otherwise
 * spin until their test's time limit.
 */
int edu_setup(uint32_t bar);
/* edu_setup()'s exit code when the device does not answer at its BAR. */
#define EDU_NO_ANSWER		202

/*
 * Run one DMA (4-byte writes of the DMA registers: a 32-bit guest has no
 * 8-byte MMIO access without SSE; a 4-byte write at 0x80, 0x88, 0x90 or
 * 0x98 sets the whole register, as QEMU's does), then wait for the
 * command's RUN bit to clear, at most about `polls` reads. Returns 0 when
 * it did, -1 when it did not.
 */
int edu_dma(uint32_t bar, uint32_t src, uint32_t dst, uint32_t count,
	    uint32_t cmd, unsigned long polls);

/* Start n! and wait (polling the status) for it; returns the result. */
uint32_t edu_factorial(uint32_t bar, uint32_t n);

#endif
