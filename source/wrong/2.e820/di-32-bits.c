/* Wrong 2.e820: the buffer at ES:EDI, all 32 bits of it.
 *
 * The call is a real-mode one: DI is 16 bits, whatever the high half of
 * EDI holds.
 *
 * Fails: unit.e820
 */
--- find
	uint64_t buf = sregs->es.base + (regs->rdi & 0xffff);
+++ replace
	uint64_t buf = sregs->es.base + (uint32_t)regs->rdi;
