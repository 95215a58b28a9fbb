/* Wrong 2.e820: the buffer checked to be guest memory, not writable memory.
 *
 * memmap_hva() finds the ROM too: the VMM would write the entry into the
 * BIOS, which the guest itself cannot do.
 *
 * Fails: unit.e820
 */
--- find
	p = memmap_hva_rw(mm, buf, E820_ENTRY_SIZE);
+++ replace
	p = memmap_hva(mm, buf, E820_ENTRY_SIZE);
