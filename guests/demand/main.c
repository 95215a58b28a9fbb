/*
 * demand: guest RAM that the VMM fills on first touch (userfaultfd; the
 * VMM's part of what an EPT violation is for, book §2.5). An ELF64 guest
 * run with --mem 5G --demand-above 64M: RAM is 0-3 GiB (with the holes)
 * and 4-6 GiB, and everything from 64 MiB up starts empty
 * (guests/README.md, "Lab 02: memory"). The guest reads three pages
 * there first (each must read as zeros), then writes four others and one
 * of the three it read, including the first page at the boundary, the
 * last page below the PCI hole and the first and last pages above 4 GiB,
 * and reads everything back. It touches nothing else above 64 MiB, so
 * the VMM's --stats must count 7 demand faults: 3 pages read first
 * (filled with the zero page) and 4 written first (filled by a copy).
 */
#include <stdint.h>
#include "check.h"
#include "console.h"
#include "platform.h"

void guest_main(void);

static volatile uint64_t *at(uint64_t gpa)
{
	return (volatile uint64_t *)gpa;
}

static uint64_t value(uint64_t gpa)
{
	return gpa ^ 0x1122334455667788ull;
}

void guest_main(void)
{
	static const uint64_t reads[] = {
		0x4100000, 0x140000000, 0x140001000,
	};
	static const uint64_t writes[] = {
		0x4000000, 0xbffff000, 0x100000000, 0x17ffff000, 0x140001000,
	};
	unsigned int i;

	con_puts("demand: RAM from 64 MiB up is filled on first touch\n");
	con_puts("-- first touch is a read\n");
	for (i = 0; i < 3; i++)
		check(*at(reads[i]), 0, 16, "read  0x%09llx",
		      (unsigned long long)reads[i]);
	con_puts("-- first touch is a write (and one page read above)\n");
	for (i = 0; i < 5; i++)
		*at(writes[i]) = value(writes[i]);
	for (i = 0; i < 5; i++)
		check(*at(writes[i]), value(writes[i]), 16, "write 0x%09llx, read back",
		      (unsigned long long)writes[i]);
	check(*at(reads[0]), 0, 16, "read  0x%09llx again",
	      (unsigned long long)reads[0]);
	vm_exit(check_done("demand"));
}
