/* Right 4.bars: the BAR's flags and masks computed first, one write loop with pointers.
 *
 * Written from the contract and PCI 3.0 chapter 6 in a lab 04 handout:
 * bar_setup() works out the low register's flags and both masks before
 * writing any; the write loop stops at the end of the conventional
 * space and compares the command register before and after. The tests
 * must accept it.
 *
 * Passes: unit.pci unit.edu
 */
static void bar_setup(struct pci_func *f, const struct pci_desc *d,
		      int i)
{
	const struct pci_bar_desc *bd = &d->bar[i];
	unsigned int reg = PCI_BAR0 + 4 * (unsigned int)i;
	uint64_t addr_bits = ~(bd->size - 1);
	uint32_t lo_flags = 0, lo_mask = 0, hi_mask = 0;

	if (bd->type == PCI_BAR_IO) {
		lo_flags = PCI_BAR_IO_FLAG;
		lo_mask = (uint32_t)addr_bits & 0xFFFF & ~3u;
	} else if (bd->type == PCI_BAR_MEM32 || bd->type == PCI_BAR_MEM64) {
		if (bd->prefetchable)
			lo_flags |= PCI_BAR_PREFETCH_FLAG;
		if (bd->type == PCI_BAR_MEM64) {
			lo_flags |= PCI_BAR_MEM64_FLAG;
			hi_mask = (uint32_t)(addr_bits >> 32);
		}
		lo_mask = (uint32_t)addr_bits & ~0xFu;
	} else {
		return;
	}
	put32(&f->cfg[reg], lo_flags);
	set_wmask32(f, reg, lo_mask);
	if (bd->type == PCI_BAR_MEM64)
		set_wmask32(f, reg + 4, hi_mask);
	f->bar[i] = *bd;
}

static void cfg_write_locked(struct pci_bus *b, struct pci_func *f,
			     unsigned int reg, unsigned int size, uint32_t val)
{
	uint16_t before, after;
	unsigned int n;

	if (!f)
		return;
	before = get16(&f->cfg[PCI_COMMAND]);
	for (n = 0; n < size && reg + n < 256; n++) {
		uint8_t byte = (uint8_t)(val >> (8 * n));
		uint8_t *c = &f->cfg[reg + n];
		uint8_t rw = f->wmask[reg + n], w1c = f->w1c[reg + n];

		*c = (uint8_t)((*c & ~rw) | (byte & rw));
		*c = (uint8_t)(*c & ~(byte & w1c));
	}
	after_write(b, f);
	after = get16(&f->cfg[PCI_COMMAND]);
	if (after != before && b->ops.command)
		b->ops.command(b->opaque, f, before, after);
}
