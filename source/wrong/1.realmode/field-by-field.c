/* Right 1.realmode: every field set one by one, in a loop over all six.
 *
 * Another way to the same state: the tests check the state, not the way.
 *
 * Passes: unit.realmode guest.realmode guest.hello16
 */
	struct kvm_segment *seg[] = {
		&sregs->cs, &sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	unsigned int i;

	for (i = 0; i < 6; i++) {
		seg[i]->selector = i ? 0 : cs;
		seg[i]->base = i ? 0 : (uint64_t)cs * 16;
		seg[i]->limit = 0xffff;
		seg[i]->type = i ? 3 : 11;
		seg[i]->present = 1;
		seg[i]->dpl = 0;
		seg[i]->db = 0;
		seg[i]->s = 1;
		seg[i]->l = 0;
		seg[i]->g = 0;
		seg[i]->avl = 0;
		seg[i]->unusable = 0;
	}
	sregs->cr0 &= ~(CR0_PE | CR0_PG);
	memset(regs, 0, sizeof(*regs));
	regs->rip = ip;
	regs->rsp = BOOT_FLAT_LOAD;
	regs->rflags = 0x2;
