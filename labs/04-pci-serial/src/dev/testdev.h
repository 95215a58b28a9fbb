/*
 * testdev.h - the test register block, on the port bus and the MMIO bus
 * (guests/README.md, "The platform every lab provides").
 */
#ifndef VMM_TESTDEV_H
#define VMM_TESTDEV_H

#include <stdint.h>

#define TESTDEV_PORT		0x500
#define TESTDEV_PORT_LEN	0x10
#define TESTDEV_MMIO		0xfeb00000ULL
#define TESTDEV_MMIO_LEN	0x1000

/* Test device registers, the same on the port and the MMIO block. */
#define TESTDEV_SCRATCH		0x0
#define TESTDEV_LAST		0x8
#define TESTDEV_SEQ		0xc

struct vm;

/* One block of registers. */
struct testdev {
	uint8_t scratch[8];
	uint16_t last;			/* width | offset << 8 of the last write */
	uint64_t seq;
	unsigned int max_width;		/* 4 on the port bus, 8 on MMIO */
	int warned;			/* a bad access has been logged */
};

/* The device: two separate blocks. */
struct testdevs {
	struct testdev port;
	struct testdev mmio;
};

int testdev_init(struct vm *vm, void **state);
extern const struct bus_ops testdev_ops;

#endif
