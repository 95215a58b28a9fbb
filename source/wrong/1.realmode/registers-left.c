/* Wrong 1.realmode: the segments right, the general registers as they were.
 *
 * Only RIP, RSP and RFLAGS are set: a guest reading AX-BP at entry
 * finds the reset values (the CPU signature in DX) or another guest's.
 *
 * Fails: unit.realmode guest.realmode
 */
--- find
	memset(regs, 0, sizeof(*regs));
+++ replace
