/* Wrong 1.realmode: CS:IP and the stack, KVM's reset state for the rest.
 *
 * The reset state is almost real mode, so the guest's first lines come
 * out right; but the general registers keep what reset left (RDX holds
 * the processor's signature) and any other input state stays.
 *
 * Fails: unit.realmode guest.realmode
 */
	sregs->cs.selector = cs;
	sregs->cs.base = (uint64_t)cs << 4;
	sregs->cr0 &= ~(CR0_PE | CR0_PG);
	regs->rip = ip;
	regs->rsp = BOOT_FLAT_LOAD;
	regs->rflags = 0x2;
