/*
 * Helpers for the edu-compatible device (see edu.h). Book section 4.2.
 */
#include "console.h"
#include "edu.h"
#include "pci.h"
#include "platform.h"

#define POLLS	100000000ul

int edu_setup(uint32_t bar)
{
	int bdf = pci_find(EDU_VENDOR, EDU_DEVICE);
	uint16_t cmd;

	if (bdf < 0)
		return -1;
	cmd = pci_read16(bdf, PCI_COMMAND);
	pci_write16(bdf, PCI_COMMAND, cmd & ~PCI_CMD_MEMORY);
	pci_write32(bdf, PCI_BAR0, bar);
	pci_write16(bdf, PCI_COMMAND, (cmd & ~PCI_CMD_INTX_DISABLE) |
		    PCI_CMD_MEMORY | PCI_CMD_MASTER);
	/*
	 * Every guest of edu polls its registers (the factorial, DMA): with
	 * nothing answering at the BAR those loops would run until the
	 * test's time limit. Stop at once, saying why.
	 */
	if (edu_read(bar, EDU_ID) != EDU_ID_1_0) {
		con_printf("edu: no answer at BAR0 0x%08x (BAR0 reads 0x%08x, "
			   "command 0x%04x, identification 0x%08x)\n", bar,
			   pci_read32(bdf, PCI_BAR0),
			   pci_read16(bdf, PCI_COMMAND), edu_read(bar, EDU_ID));
		vm_exit(EDU_NO_ANSWER);
	}
	return bdf;
}

int edu_dma(uint32_t bar, uint32_t src, uint32_t dst, uint32_t count,
	    uint32_t cmd, unsigned long polls)
{
	unsigned long i;

	edu_write(bar, EDU_DMA_SRC, src);
	edu_write(bar, EDU_DMA_DST, dst);
	edu_write(bar, EDU_DMA_COUNT, count);
	edu_write(bar, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	for (i = 0; i < polls; i++) {
		if (!(edu_read(bar, EDU_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		asm volatile("pause");
	}
	return -1;
}

uint32_t edu_factorial(uint32_t bar, uint32_t n)
{
	unsigned long i;

	edu_write(bar, EDU_FACT, n);
	for (i = 0; i < POLLS; i++) {
		if (!(edu_read(bar, EDU_STATUS) & EDU_STATUS_COMPUTING))
			break;
		asm volatile("pause");
	}
	return edu_read(bar, EDU_FACT);
}
