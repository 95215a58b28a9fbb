/*
 * uffd.h - demand population of guest RAM with userfaultfd: the VMM, not
 * the kernel, decides what a first touch of guest memory gets - here, as
 * for an EPT violation (book §2.5.2), a page of zeros.
 */
#ifndef VMM_UFFD_H
#define VMM_UFFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem/memmap.h"

struct uffd {
	int fd;
	int stop_fd;		/* an eventfd that ends the fault thread */
	pthread_t thread;
	bool running;
	uint64_t boundary;	/* RAM at and above this GPA is populated on demand */
	uint8_t *zeros;		/* one page of zeros, the source of UFFDIO_COPY */
	/* Written by the fault thread; read after uffd_stop(). */
	uint64_t zero_pages;	/* first touch was a read: UFFDIO_ZEROPAGE */
	uint64_t copied_pages;	/* first touch was a write: UFFDIO_COPY */
	uint64_t failed;	/* could not be resolved: left to the kernel */
};

struct vm;

int uffd_open(struct uffd *u, uint64_t boundary);
int uffd_add_region(struct uffd *u, const struct mem_region *r);
void uffd_stop(struct uffd *u);
void uffd_close(struct uffd *u);
int uffd_init(struct vm *vm, void **state);
int uffd_start(void *state, struct vm *vm);
void uffd_stats(void *state, FILE *out);
void uffd_exit(void *state, struct vm *vm);

#endif
