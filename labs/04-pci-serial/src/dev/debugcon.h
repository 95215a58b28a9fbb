/*
 * debugcon.h - the debug console on port 0xE9 (guests/README.md, "The
 * platform every lab provides").
 */
#ifndef VMM_DEBUGCON_H
#define VMM_DEBUGCON_H

#include <stdio.h>

#define DEBUGCON_PORT		0xe9

struct vm;

struct debugcon {
	FILE *out;
};

int debugcon_init(struct vm *vm, void **state);

#endif
