/* Wrong 3.pic: compares IR numbers, not priorities, against the level in service.
 *
 * Why a student writes it: with the priorities at their power-on order
 * (IR0 highest) a lower number is a higher priority, and every test run
 * before rotation agreed.
 *
 * Fails: unit.pic
 */
--- find
	if (cur < 0 || chip_rank(c, (unsigned int)irq) <
		       chip_rank(c, (unsigned int)cur))
		return irq;
+++ replace
	if (cur < 0 || irq < cur)
		return irq;
--- find
/* 0 is the highest priority, 7 the lowest. */
static unsigned int chip_rank(const struct pic_chip *c, unsigned int ir)
{
	return (ir - c->lowest - 1) & 7;
}
+++ replace
