/* Wrong 4.bars: an I/O BAR with 32 writable address bits.
 *
 * Why a student writes it: the register is 32 bits wide and the
 * specification allows 32-bit I/O addresses; but x86 has 64 KiB of
 * ports, so bits 31:16 of our I/O BARs are hardwired to 0 and sizing
 * reads back 0x0000FFxx.
 *
 * Fails: unit.pci
 */
--- find
		set_wmask32(f, reg, (uint32_t)m & 0xFFFCu);
+++ replace
		set_wmask32(f, reg, (uint32_t)m & ~3u);
