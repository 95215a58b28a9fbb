/*
 * edu.h - a teaching PCI device compatible with QEMU's `edu` (QEMU's
 * docs/specs/edu.rst): 1234:11e8 revision 0x10, BAR0 1 MiB of MMIO,
 * identification, liveness, factorial, interrupt raise/ack/status, a DMA
 * engine with a 4 KiB buffer at 0x40000, INTx (pin A) and one 64-bit MSI
 * vector (book §4.2: a device model behind a BAR; §4.3: its DMA is where
 * the guest hands a device guest-physical addresses).
 *
 * Work takes time, as on QEMU (whose factorial runs in a thread and whose
 * DMA fires 100 ms of virtual time later): a factorial or DMA started at
 * t completes at t + fact_delay_ns / dma_delay_ns, when the owner calls
 * edu_service() after deadline(), or at the first MMIO access after it.
 * A guest must poll the busy bits or wait for the interrupt.
 *
 * DMA: the guest-supplied bus address is masked to dma_mask (QEMU's
 * 28-bit default); the device side must lie in the buffer, the count
 * at most 4 KiB, bus mastering must be on, and the owner's dma_read /
 * dma_write must accept the whole range (RAM within one memslot).
 * Otherwise nothing is transferred, warned once, and the command still
 * completes (RUN clears, the interrupt is raised if asked) so that a
 * driver never hangs on a refused transfer.
 *
 * Locking: struct edu has one mutex, taken by every public function.
 * Called WITH it held: dma_read, dma_write (guest memory only), now_ns,
 * deadline (record and kick only), warn, and the PCI bus's device-side
 * functions (pci_set_irq, pci_msi_notify, pci_bus_master): order
 * edu -> PCI bus -> interrupt models.
 */
#ifndef VMM_EDU_H
#define VMM_EDU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq/irqwarn.h"
#include "pci/pci.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11E8
#define EDU_REVISION		0x10
#define EDU_BAR_SIZE		(1u << 20)
#define EDU_ID			0x010000EDu	/* version 1.0 */

#define EDU_REG_ID		0x00
#define EDU_REG_LIVE		0x04
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
#define EDU_IRQ_FACT		0x001
#define EDU_IRQ_DMA		0x100
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2	/* direction: 1 = EDU -> RAM */
#define EDU_DMA_IRQ		0x4

#define EDU_BUF_ADDR		0x40000u
#define EDU_BUF_SIZE		4096u

struct edu_ops {
	/* Guest memory at bus address gpa: 0, or negative if any byte of
	 * the range is not RAM or the range crosses a memslot. */
	int (*dma_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t gpa, const void *buf,
			 size_t len);
	uint64_t (*now_ns)(void *opaque);
	void (*deadline)(void *opaque, uint64_t ns);
	irqwarn_fn *warn;
};

struct edu_config {
	uint64_t dma_mask;		/* 0: (1 << 28) - 1, as QEMU */
	uint64_t fact_delay_ns;
	uint64_t dma_delay_ns;
};

struct edu {
	pthread_mutex_t lock;
	struct pci_func pci;		/* put on the bus with pci_bus_add */
	uint32_t live, fact, status, irq_status;
	uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
	uint64_t fact_due, dma_due;
	uint8_t buf[EDU_BUF_SIZE];
	struct edu_config cfg;
	struct edu_ops ops;
	void *opaque;
	uint32_t warned;
};

/* 0, or -1 if the PCI function could not be built. */
int edu_init(struct edu *e, const struct edu_ops *ops, void *opaque,
	     const struct edu_config *cfg);
void edu_destroy(struct edu *e);

/*
 * BAR0 at `offset`, size 1, 2, 4 or 8. As QEMU: below 0x80 only 4-byte
 * accesses count, from 0x80 on 4 or 8; anything else reads all ones and
 * writes nothing; so do the registers that are not there.
 */
uint64_t edu_mmio_read(struct edu *e, uint64_t offset, unsigned int size);
void edu_mmio_write(struct edu *e, uint64_t offset, unsigned int size,
		    uint64_t val);

/* The deadline passed: finish what is due. */
void edu_service(struct edu *e);

/*
 * The device in the machine, at 00:02.0 (guests/README.md, "The edu
 * device"): DMA through the PCI bus's bus-master access, byte by byte
 * where there is no memory; its work finishes at once (no delays), at
 * the next access or on the timer thread.
 */
struct vm;

struct edu_dev {
	struct edu edu;
	struct vm *vm;
	int timer;			/* its id in the irqchip's timers */
	uint32_t warned;
};

int edu_dev_init(struct vm *vm, void **state);
void edu_dev_exit(void *state, struct vm *vm);

#endif
