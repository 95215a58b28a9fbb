/*
 * exitdev.h - the exit device on ports 0xF4-0xF7 (guests/README.md, "The
 * platform every lab provides").
 */
#ifndef VMM_EXITDEV_H
#define VMM_EXITDEV_H

#define EXITDEV_PORT		0xf4
#define EXITDEV_LEN		4

struct vm;

struct exitdev {
	struct vm *vm;
};

int exitdev_init(struct vm *vm, void **state);

#endif
