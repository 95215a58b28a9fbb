/* Wrong 3.pic: "rotate on specific EOI" ends the level but does not rotate.
 *
 * Why a student writes it: it is the specific EOI with one more bit set,
 * and the specific EOI was already written.
 *
 * Fails: unit.pic guest.pic-rotate.user guest.pic-rotate.split
 */
--- find
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1u << l);
		c->lowest = (uint8_t)l;
		break;
+++ replace
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1u << l);
		break;
