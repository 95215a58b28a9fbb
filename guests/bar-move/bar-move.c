/*
 * bar-move: a memory BAR decides where a device answers (book section
 * 4.2; PCI Local Bus Specification 3.0, 6.2.2 and 6.2.5.1), shown with
 * the edu device's BAR0 (1 MiB of registers; its identification register
 * at offset 0 reads 0x010000ed):
 *  - BAR0's low four bits are read-only (memory, 32-bit, not
 *    prefetchable) and its bits 19:4 read as zero (1 MiB), whatever is
 *    written;
 *  - written while memory decode is on, the BAR moves at once: the new
 *    address answers, the old one no longer does: its reads are not the
 *    device's registers and its writes do not reach them (our platform
 *    reads all ones where nobody answers, as a PCI master abort does;
 *    QEMU reads 0 there, so the check is only "not the device");
 *  - with the command register's memory space bit clear the device
 *    answers nowhere; set again, at the BAR's address;
 *  - a byte write to the BAR's top byte moves it as well.
 * Runs on QEMU with -device edu.
 */
#include "check.h"
#include "console.h"
#include "edu.h"
#include "pci.h"
#include "platform.h"

#define BAR_A	0xfea00000u
#define BAR_B	0xfe800000u
#define BAR_C	0xfd800000u

void guest_main(void);

static uint32_t id_at(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

/*
 * Whether the device answers at `addr`, where it answered at `now`: the
 * identification register reads as the device's, or a liveness write
 * there reaches the device.
 */
static int answers(uint32_t addr, uint32_t now)
{
	uint32_t before = edu_read(now, EDU_LIVENESS);

	if (id_at(addr) == 0x010000ed)
		return 1;
	edu_write(addr, EDU_LIVENESS, ~before ^ 0x5a5a5a5a);
	return edu_read(now, EDU_LIVENESS) != before;
}

void guest_main(void)
{
	int bdf = edu_setup(BAR_A);
	uint16_t cmd;

	con_puts("bar-move: the edu device's BAR0\n");
	if (bdf < 0) {
		con_puts("bar-move: no device 1234:11e8 on bus 0\n");
		vm_exit(200);
	}
	cmd = pci_read16(bdf, PCI_COMMAND);
	check(id_at(BAR_A), 0x010000ed, 8, "identification at 0x%08x", BAR_A);
	pci_write32(bdf, PCI_BAR0, BAR_B | 0xffff);
	check(pci_read32(bdf, PCI_BAR0), BAR_B, 8, "BAR0 after writing 0x%08x", BAR_B | 0xffff);
	con_printf("moved to 0x%08x with memory decode on\n", BAR_B);
	check(id_at(BAR_B), 0x010000ed, 8, "  identification at the new address");
	check(answers(BAR_A, BAR_B), 0, 1, "  the device at the old address");
	edu_write(BAR_B, EDU_LIVENESS, 0x0f0f0f0f);
	check(edu_read(BAR_B, EDU_LIVENESS), 0xf0f0f0f0, 8, "  liveness at the new address");

	con_puts("memory decode off\n");
	pci_write16(bdf, PCI_COMMAND, cmd & ~PCI_CMD_MEMORY);
	check(id_at(BAR_B) == 0x010000ed, 0, 1, "  the device at the BAR's address");
	check(pci_read32(bdf, PCI_BAR0), BAR_B, 8, "  BAR0 keeps its value");
	pci_write16(bdf, PCI_COMMAND, cmd);
	check(id_at(BAR_B), 0x010000ed, 8, "  decode on again: identification");
	check(edu_read(BAR_B, EDU_LIVENESS), 0xf0f0f0f0, 8, "  liveness kept its value");

	con_printf("top byte written alone: 0x%02x\n", BAR_C >> 24);
	pci_write8(bdf, PCI_BAR0 + 3, BAR_C >> 24);
	pci_write8(bdf, PCI_BAR0 + 2, BAR_C >> 16 & 0xff);
	check(pci_read32(bdf, PCI_BAR0), BAR_C, 8, "  BAR0");
	check(id_at(BAR_C), 0x010000ed, 8, "  identification at 0x%08x", BAR_C);
	check(answers(BAR_B, BAR_C), 0, 1, "  the device at the old address");
	edu_setup(BAR_A);
	check(id_at(BAR_A), 0x010000ed, 8, "back at 0x%08x", BAR_A);
	check(answers(BAR_C, BAR_A), 0, 1, "  the device at 0x%08x", BAR_C);
	vm_exit(check_done("bar-move"));
}
