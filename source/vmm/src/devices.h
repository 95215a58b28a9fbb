/*
 * devices.h - the platform test devices every lab provides
 * (guests/README.md, "The platform every lab provides").
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdint.h>
#include <stdio.h>

struct vm;

#define DEBUGCON_PORT		0xe9
#define EXITDEV_PORT		0xf4
#define EXITDEV_LEN		4
#define TESTDEV_PORT		0x500
#define TESTDEV_PORT_LEN	0x10
#define TESTDEV_MMIO		0xfeb00000ULL
#define TESTDEV_MMIO_LEN	0x1000

/* Test device registers, the same on the port and the MMIO block. */
#define TESTDEV_SCRATCH		0x0
#define TESTDEV_LAST		0x8
#define TESTDEV_SEQ		0xc

struct debugcon {
	FILE *out;
};

struct exitdev {
	struct vm *vm;
};

struct testdev {
	uint8_t scratch[8];
	uint16_t last;			/* width | offset << 8 of the last write */
	uint64_t seq;
	unsigned int max_width;		/* 4 on the port bus, 8 on MMIO */
	int warned;			/* a bad access has been logged */
};

int debugcon_init(struct debugcon *dc, struct vm *vm, FILE *out);
int exitdev_init(struct exitdev *ed, struct vm *vm);
int testdev_init(struct testdev *port, struct testdev *mmio, struct vm *vm);
extern const struct bus_ops testdev_ops;

#endif
