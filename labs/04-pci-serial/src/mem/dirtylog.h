/*
 * dirtylog.h - dirty-page logging shown to the guest: which pages of a
 * region did the guest write since logging started or since the last
 * report (KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG): the dirty bits
 * that live migration relies on (background: book §2.5.2).
 *
 * Registers (4-byte port accesses at DIRTYLOG_PORT + offset;
 * guests/README.md):
 *   0x0 BASE   read/write: the region's first page (guest-physical >> 12)
 *   0x4 PAGES  read/write: its length in pages, 1 to DIRTYLOG_MAX_PAGES
 *   0x8 CMD    write: START, REPORT or STOP; read: the last command's status
 *   0xc DATA   read: the next dirty page of the last report, as an index
 *              into the region, in increasing order; 0xffffffff after the last
 */
#ifndef VMM_DIRTYLOG_H
#define VMM_DIRTYLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

#define DIRTYLOG_PORT		0x530
#define DIRTYLOG_PORT_LEN	0x10
#define DIRTYLOG_BASE		0x0
#define DIRTYLOG_PAGES		0x4
#define DIRTYLOG_CMD		0x8
#define DIRTYLOG_DATA		0xc

#define DIRTYLOG_START		1	/* log the region's memslot, from a clean log */
#define DIRTYLOG_REPORT		2	/* fetch and clear the log; DATA lists it */
#define DIRTYLOG_STOP		3	/* stop logging */

#define DIRTYLOG_OK		0
#define DIRTYLOG_ERR_REGION	1	/* not 1..MAX pages inside one RAM memslot */
#define DIRTYLOG_ERR_CMD	2	/* unknown command, or not logging */
#define DIRTYLOG_ERR_HOST	3	/* a KVM ioctl failed */

#define DIRTYLOG_MAX_PAGES	4096	/* 16 MiB */
#define DIRTYLOG_END		0xffffffffU

struct dirtylog {
	struct vm *vm;
	uint32_t base;			/* page number */
	uint32_t pages;
	uint32_t status;
	int region;			/* memory map entry being logged, or -1 */
	uint64_t first;			/* the logged range's first page in that slot */
	uint32_t count;			/* logged pages */
	uint64_t *bitmap;		/* KVM's dirty bitmap of the whole slot */
	uint32_t dirty[DIRTYLOG_MAX_PAGES];	/* the last report */
	uint32_t nr_dirty, next;
	uint64_t reports;		/* --stats */
	uint64_t reported;
	bool warned;
};

int dirtylog_init(struct vm *vm, void **state);
void dirtylog_stats(void *state, FILE *out);
void dirtylog_exit(void *state, struct vm *vm);
void dirtylog_command(struct dirtylog *dl, uint32_t cmd);
uint32_t dirtylog_collect(const uint64_t *bitmap, uint64_t first,
			  uint32_t pages, uint32_t *out);

#endif
