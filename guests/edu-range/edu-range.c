/*
 * edu-range: edu DMA transfers whose device-side range is not wholly in
 * the 4 KiB buffer at 0x40000 (book section 4.2; QEMU's
 * docs/specs/edu.rst: "One 4096 bytes long buffer at offset 0x40000 is
 * available"). Our platform refuses such a transfer: nothing is copied,
 * the command's RUN bit clears as for a finished one and its interrupt is
 * raised if asked for, and the VMM logs it once (guests/README.md, lab
 * 04). A transfer of exactly the whole buffer is fine.
 * Not run on QEMU: QEMU 7.2 stops with "hardware error" on every one of
 * these, the whole-buffer transfer included (an off-by-one in its check).
 */
#include "check.h"
#include "console.h"
#include "edu.h"
#include "platform.h"

#define DMA_POLLS	100000000ul

static uint8_t src[4096] __attribute__((aligned(4096)));
static uint8_t dst[4096] __attribute__((aligned(4096)));

void guest_main(void);

static unsigned int differ(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(dst); i++)
		n += dst[i] != src[i];
	return n;
}

static unsigned int nonzero(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(dst); i++)
		n += dst[i] != 0;
	return n;
}

/* A refused transfer into dst: done, its interrupt raised, dst untouched. */
static void refused(uint32_t from, uint32_t count, const char *what)
{
	__builtin_memset(dst, 0, sizeof(dst));
	edu_write(EDU_BAR, EDU_IRQ_ACK, 0xffffffff);
	check(edu_dma(EDU_BAR, from, (uint32_t)dst, count, EDU_DMA_TO_RAM | EDU_DMA_IRQ,
		      DMA_POLLS), 0, 1, "%s: done", what);
	check(edu_read(EDU_BAR, EDU_IRQ_STATUS), EDU_IRQ_DMA, 8, "  interrupt status");
	check(nonzero(), 0, 4, "  bytes written");
}

void guest_main(void)
{
	unsigned int i;

	con_puts("edu-range: DMA ranges outside the device's buffer\n");
	if (edu_setup(EDU_BAR) < 0) {
		con_puts("edu-range: no device 1234:11e8 on bus 0\n");
		vm_exit(200);
	}
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 1);
	check(edu_dma(EDU_BAR, (uint32_t)src, EDU_DMA_BUF, 4096, 0, DMA_POLLS), 0, 1,
	      "the whole buffer, RAM -> device: done");
	check(edu_dma(EDU_BAR, EDU_DMA_BUF, (uint32_t)dst, 4096, EDU_DMA_TO_RAM, DMA_POLLS),
	      0, 1, "the whole buffer, device -> RAM: done");
	check(differ(), 0, 4, "  bytes that differ");
	/* Interrupts are not routed anywhere: only the status is read. */
	refused(EDU_DMA_BUF + 4000, 200, "0x40fa0 + 200 (past the end)");
	refused(EDU_DMA_BUF - 0x100, 0x200, "0x3ff00 + 0x200 (before the start)");
	refused(EDU_DMA_BUF, 0xffffffff, "0x40000 + 0xffffffff");
	refused(0xfffff000, 0x2000, "0xfffff000 + 0x2000 (wraps)");
	refused(0, 16, "0 + 16 (not the buffer)");
	edu_write(EDU_BAR, EDU_IRQ_ACK, 0xffffffff);
	check(edu_read(EDU_BAR, EDU_ID), 0x010000ed, 8, "the device still answers");
	vm_exit(check_done("edu-range"));
}
