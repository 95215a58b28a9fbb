/*
 * dirty: dirty-page logging seen from the guest (KVM_MEM_LOG_DIRTY_PAGES
 * and KVM_GET_DIRTY_LOG; book §2.5). An ELF64 guest on the lab 02
 * platform. It owns a region of 16 pages, asks the dirty-log device
 * (guests/README.md, "Lab 02: memory") to log it, and writes a known set
 * of pages; each REPORT makes the VMM fetch KVM's log, and the guest
 * reads back and prints the dirty pages of the region, which must be
 * exactly those it wrote since the last report: not the pages it only
 * read, not the writes made before logging started. Then the device's
 * refusals: a report when not logging, a region outside RAM, a region
 * of 0 or more than 4096 pages, an unknown command.
 *
 * Every page of the region is written once before START. KVM counts a
 * page as dirty whenever it maps it writable while logging, and it may
 * do so on a read of a page it has not mapped yet (to spare a second
 * fault at the first write). After the writes before START all pages
 * are mapped, START write-protects them, and from then on only a write
 * makes KVM map a page writable again.
 */
#include <stdint.h>
#include "check.h"
#include "console.h"
#include "platform.h"

#define DL_PORT		0x530
#define DL_BASE		0x0	/* first page: guest-physical address >> 12 */
#define DL_PAGES	0x4
#define DL_CMD		0x8	/* write: command; read: status */
#define DL_DATA		0xc	/* the next dirty page of the report */
#define DL_START	1
#define DL_REPORT	2
#define DL_STOP		3
#define DL_OK		0
#define DL_ERR_REGION	1
#define DL_ERR_CMD	2
#define DL_END		0xffffffffu

#define PAGES		16

void guest_main(void);

static volatile uint8_t region[PAGES][4096] __attribute__((aligned(4096)));

static uint32_t dl_cmd(uint32_t cmd)
{
	outl(DL_PORT + DL_CMD, cmd);
	return inl(DL_PORT + DL_CMD);
}

static void dl_region(uint32_t base, uint32_t pages)
{
	outl(DL_PORT + DL_BASE, base);
	outl(DL_PORT + DL_PAGES, pages);
}

/* Read the report, print it, return it as a bit mask (bit 31: junk). */
static uint32_t report(void)
{
	uint32_t mask = 0, page;
	int n;

	con_puts("    dirty pages:");
	for (n = 0; n <= PAGES; n++) {
		page = inl(DL_PORT + DL_DATA);
		if (page == DL_END)
			break;
		con_printf(" %u", page);
		mask |= page < PAGES ? 1u << page : 1u << 31;
	}
	con_puts(n ? "\n" : " none\n");
	return mask;
}

static void write_pages(const unsigned int *pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		region[pages[i]][(pages[i] * 264) % 4096] = 0xd0 + i;
}

static uint32_t mask_of(const unsigned int *pages, int n)
{
	uint32_t mask = 0;
	int i;

	for (i = 0; i < n; i++)
		mask |= 1u << pages[i];
	return mask;
}

void guest_main(void)
{
	static const unsigned int round1[] = { 1, 4, 5, 9, 15 };
	static const unsigned int round2[] = { 0, 15 };
	uint32_t base = (uint32_t)((uintptr_t)region >> 12);
	unsigned int p;
	uint8_t sum;

	con_puts("dirty: logging a 16-page region\n");
	con_puts("-- before START, write every page\n");
	for (p = 0; p < PAGES; p++)
		region[p][0] = p;
	dl_region(base, PAGES);
	check(dl_cmd(DL_START), DL_OK, 1, "START: status");

	con_puts("-- write pages 1 4 5 9 15, read pages 2 3\n");
	write_pages(round1, 5);
	sum = region[2][0] + region[3][0];
	check(dl_cmd(DL_REPORT), DL_OK, 1, "REPORT: status");
	check(report(), mask_of(round1, 5), 4, "dirty set");
	check(sum, 5, 2, "pages 2 and 3 hold what was written before START: 2 + 3");

	con_puts("-- write pages 0 15\n");
	write_pages(round2, 2);
	check(dl_cmd(DL_REPORT), DL_OK, 1, "REPORT: status");
	check(report(), mask_of(round2, 2), 4, "dirty set");

	con_puts("-- write nothing\n");
	check(dl_cmd(DL_REPORT), DL_OK, 1, "REPORT: status");
	check(report(), 0, 4, "dirty set");

	con_puts("-- stop, and what the device refuses\n");
	check(dl_cmd(DL_STOP), DL_OK, 1, "STOP: status");
	check(dl_cmd(DL_REPORT), DL_ERR_CMD, 1, "REPORT when not logging: status");
	dl_region(0xfeb00, 1);
	check(dl_cmd(DL_START), DL_ERR_REGION, 1, "START on the MMIO test block: status");
	dl_region(base, 0);
	check(dl_cmd(DL_START), DL_ERR_REGION, 1, "START on 0 pages: status");
	dl_region(base, 4097);
	check(dl_cmd(DL_START), DL_ERR_REGION, 1, "START on 4097 pages: status");
	check(dl_cmd(7), DL_ERR_CMD, 1, "command 7: status");
	vm_exit(check_done("dirty"));
}
