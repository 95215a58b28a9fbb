/*
 * dmar.h - device pass-through as a model: an Intel VT-d style DMA
 * remapping unit in legacy mode (root table -> context table ->
 * second-level page tables) and interrupt remapping (book §4.3; Intel
 * Virtualization Technology for Directed I/O, "DMA Remapping": "Root
 * Entry", "Context Entry", "Second-Level Paging Entries", "Interrupt
 * Remapping": "Interrupt Requests in Remappable Format", "Interrupt
 * Remapping Table Entry (IRTE)", and the appendix "Non-Recoverable Fault
 * Reasons").
 *
 * Every table is read from guest memory through read(); every pointer
 * and entry is checked (present, reserved bits, width) before use. A
 * translation returns 0 or the VT-d fault reason (enum dmar_fault), the
 * number the fault recording register would hold.
 *
 * Supported, as a capability register would say: address widths 39
 * (3-level) and 48 (4-level) bits (SAGAW 010b and 100b), 2 MiB and
 * 1 GiB pages, pass-through (TT = 10b), host address width `haw` given
 * at init (up to 52); remappable and (if cfis) compatibility interrupts,
 * xAPIC or x2APIC (EIME) destinations, no posted interrupts.
 *
 * Not modelled: scalable mode (the root table's RTT bit must be 0), PASIDs
 * and first-level tables, device-TLB (TT = 01b is taken as 00b; TM in a
 * leaf is reserved, as with ECAP.DT = 0), the
 * caches and their invalidation (every call walks the tables afresh:
 * what a guest sees after an invalidation), fault recording registers
 * and the fault event interrupt (the caller gets the reason), snoop and
 * memory type bits (ignored).
 *
 * Locking: struct dmar has one mutex, taken by every public function;
 * read() and warn() are called WITH it held and must not call back in.
 */
#ifndef VMM_DMAR_H
#define VMM_DMAR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq/irqwarn.h"

/* The VT-d fault reasons (legacy mode and interrupt remapping). */
enum dmar_fault {
	DMAR_OK = 0,
	DMAR_FR_ROOT_NOT_PRESENT = 0x1,
	DMAR_FR_CTX_NOT_PRESENT = 0x2,
	DMAR_FR_CTX_INVALID = 0x3,	/* AW or TT not supported */
	DMAR_FR_ADDR_BEYOND_AGAW = 0x4,
	DMAR_FR_WRITE = 0x5,		/* no write permission */
	DMAR_FR_READ = 0x6,		/* no read permission */
	DMAR_FR_PTE_ACCESS = 0x7,	/* a paging entry could not be read */
	DMAR_FR_ROOT_ACCESS = 0x8,
	DMAR_FR_CTX_ACCESS = 0x9,
	DMAR_FR_ROOT_RSVD = 0xA,
	DMAR_FR_CTX_RSVD = 0xB,
	DMAR_FR_PTE_RSVD = 0xC,
	DMAR_FR_TT_BLOCKED = 0xD,
	DMAR_FR_IR_REQ_RSVD = 0x20,
	DMAR_FR_IR_INDEX = 0x21,
	DMAR_FR_IR_NOT_PRESENT = 0x22,
	DMAR_FR_IR_TABLE_ACCESS = 0x23,
	DMAR_FR_IR_IRTE_RSVD = 0x24,
	DMAR_FR_IR_COMPAT_BLOCKED = 0x25,
	DMAR_FR_IR_SID = 0x26,
};

/* Entry fields. */
#define DMAR_P			(1ull << 0)
#define DMAR_CTX_FPD		(1ull << 1)
#define DMAR_CTX_TT_SHIFT	2
#define DMAR_CTX_TT_MULTI	0	/* untranslated through SL tables */
#define DMAR_CTX_TT_DEVTLB	1
#define DMAR_CTX_TT_PASSTHROUGH	2
#define DMAR_CTX_AW_39		1	/* high qword bits 2:0 */
#define DMAR_CTX_AW_48		2
#define DMAR_CTX_DID_SHIFT	8
#define DMAR_SL_R		(1ull << 0)
#define DMAR_SL_W		(1ull << 1)
#define DMAR_SL_PS		(1ull << 7)
#define DMAR_SL_TM		(1ull << 62)
#define DMAR_RTADDR_RTT		(1ull << 11)
#define DMAR_IRTA_EIME		(1ull << 11)

struct dmar_ops {
	/* Guest memory: 0, or negative if [gpa, gpa+len) is not RAM. */
	int (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	irqwarn_fn *warn;
};

struct dmar {
	pthread_mutex_t lock;
	unsigned int haw;	/* host address width, bits */
	bool te;		/* translation enabled (GCMD.TE) */
	uint64_t rtaddr;
	bool ire;		/* interrupt remapping enabled (GCMD.IRE) */
	bool cfis;		/* compatibility format interrupts allowed */
	uint64_t irta;
	struct dmar_ops ops;
	void *opaque;
	uint32_t warned;
};

struct dmar_xlate {
	uint64_t addr;		/* the host (guest-physical) address */
	uint64_t page_size;	/* of the mapping that holds it */
	bool read, write;	/* effective permissions */
	uint16_t did;		/* domain */
	bool fpd;		/* faults of this context are not reported */
};

/* An interrupt after remapping, ready for the APIC bus. */
struct dmar_irq {
	uint8_t vector;
	uint32_t dest;		/* APIC ID (8 bits in xAPIC mode) */
	bool dest_logical, redir_hint, level;
	uint8_t delivery;	/* 0 fixed, 1 lowest, 2 SMI, 4 NMI, 5 INIT,
				 * 7 ExtINT */
	bool fpd;
};

void dmar_init(struct dmar *d, const struct dmar_ops *ops, void *opaque,
	       unsigned int haw);
void dmar_destroy(struct dmar *d);

/* RTADDR_REG and GCMD.TE: -1 for an RTT (scalable mode) root. */
int dmar_set_root(struct dmar *d, uint64_t rtaddr, bool enable);
/* IRTA_REG (address 63:12, EIME bit 11, size 2^(S+1) in 3:0), GCMD.IRE,
 * GSTS.CFIS. */
void dmar_set_irta(struct dmar *d, uint64_t irta, bool enable, bool cfis);

/*
 * Translate a DMA by source-id `sid` (bus << 8 | devfn) at `iova`, a
 * write or a read. Returns DMAR_OK with *x filled, or the fault reason
 * (x->fpd tells whether the context asked for it to go unreported).
 */
enum dmar_fault dmar_translate(struct dmar *d, uint16_t sid, uint64_t iova,
			       bool write, struct dmar_xlate *x);

/*
 * An MSI write (addr, data) from `sid`: remapped through the IRTE it
 * names, or (compatibility format, remapping off or CFIS) decoded as
 * is. Returns DMAR_OK with *irq filled, the fault reason, or -1 if addr
 * is not an interrupt address (0xFEExxxxx) at all.
 */
int dmar_remap_msi(struct dmar *d, uint16_t sid, uint64_t addr,
		   uint32_t data, struct dmar_irq *irq);

/* The compatibility-format MSI (addr, data) that delivers irq (xAPIC
 * destinations only: dest must fit in 8 bits), for lab 03's MSI path. */
void dmar_irq_to_msi(const struct dmar_irq *irq, uint64_t *addr,
		     uint32_t *data);

#endif
