/* Wrong 4.bars: a change of the command register is not reported.
 *
 * Why a student writes it: after_write() already moves the BARs when
 * decode is turned off or on, so the owner's command callback looks
 * redundant; the owner needs it for bus mastering, which no BAR shows.
 *
 * Fails: unit.pci
 */
--- find
	if (cmd_of(f) != old_cmd && b->ops.command)
		b->ops.command(b->opaque, f, old_cmd, cmd_of(f));
+++ replace
	(void)old_cmd;
