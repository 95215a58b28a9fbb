/*
 * The part of the multiboot v1 information structure the guests read, and
 * what the 32-bit entry (entry32.asm) saved from EAX and EBX.
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_LOADER_MAGIC	0x2badb002	/* in EAX at entry */
#define MULTIBOOT_INFO_MEMORY	(1u << 0)	/* mem_lower, mem_upper valid */

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;	/* KiB of RAM below 640 KiB */
	uint32_t mem_upper;	/* KiB of RAM from 1 MiB up to the first hole */
	/* more fields follow that no guest reads */
};

extern uint32_t multiboot_magic;	/* EAX at entry */
extern uint32_t multiboot_info;		/* EBX at entry: address of the info */

#endif
