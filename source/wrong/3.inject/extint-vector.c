/* Wrong 3.inject: hands KVM what lapic_ack() returns, ExtINT included.
 *
 * Why a student writes it: lapic_ack() "returns the vector", and the
 * local APIC guests pass.
 *
 * Fails: unit.inject guest.pic-timer.user guest.pic-cascade.user
 *	guest.pic-rotate.user
 */
--- find
	v = lapic_ack(l);
	if (v == LAPIC_EXTINT)
		v = pic_inta(pic);
+++ replace
	(void)pic;
	v = lapic_ack(l);
