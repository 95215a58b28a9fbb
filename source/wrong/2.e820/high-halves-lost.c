/* Wrong 2.e820: EAX, EBX and ECX written whole.
 *
 * The BIOS convention is 32-bit; a caller in a 64-bit mode keeps the high
 * halves of RAX, RBX and RCX, and a real-mode boot loader never sees them.
 *
 * Fails: unit.e820
 */
--- find
	regs->rax = (regs->rax & ~0xffffffffULL) | E820_SMAP;
	regs->rcx = (regs->rcx & ~0xffffffffULL) | E820_ENTRY_SIZE;
	regs->rbx = (regs->rbx & ~0xffffffffULL) | index;
+++ replace
	regs->rax = E820_SMAP;
	regs->rcx = E820_ENTRY_SIZE;
	regs->rbx = index;
