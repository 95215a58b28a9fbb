/*
 * dimm.h - the virtual DIMM: memory the guest asks for at run time,
 * hot-plugged as a new memslot and a new E820 entry (book §2.2.5).
 *
 * Registers (4-byte port accesses at DIMM_PORT + offset; guests/README.md):
 *   0x0 REQUEST  write: add a DIMM of that many MiB; read: the status
 *   0x4 ADDR_LO  read: guest-physical address of the last DIMM added
 *   0x8 ADDR_HI
 *   0xc SIZE     read: its size in MiB
 */
#ifndef VMM_DIMM_H
#define VMM_DIMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

#define DIMM_PORT		0x520
#define DIMM_PORT_LEN		0x10
#define DIMM_REQUEST		0x0
#define DIMM_ADDR_LO		0x4
#define DIMM_ADDR_HI		0x8
#define DIMM_SIZE		0xc

/* REQUEST's status. */
#define DIMM_OK			0
#define DIMM_ERR_SIZE		1	/* 0 MiB */
#define DIMM_ERR_FULL		2	/* no room left in the DIMM area, or no slot */
#define DIMM_ERR_HOST		3	/* the host could not give the memory */

struct dimm {
	struct vm *vm;
	uint32_t status;
	uint64_t addr;		/* of the last DIMM added */
	uint32_t size_mb;
	uint64_t added;		/* DIMMs added */
	bool warned;		/* a bad access has been logged */
};

int dimm_init(struct vm *vm, void **state);
void dimm_stats(void *state, FILE *out);
void dimm_request(struct dimm *d, uint32_t mb);

#endif
