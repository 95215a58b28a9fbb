/* Wrong 3.sipi: sets CS's selector from the vector and leaves its base.
 *
 * Why a student writes it: "the SIPI starts the processor at CS =
 * vector << 8, IP = 0", and in real mode CS is a selector.
 *
 * Fails: unit.sipi guest.smp-hello.user guest.ipi-pingpong.user
 *	guest.msi.user
 */
--- find
	sregs->cs.base = (uint64_t)vector << 12;
+++ replace
