/* Wrong 4.dmar: an entry with R = W = 0 gives a fault of its own.
 *
 * It returns PTE_ACCESS instead of the missing right's fault.
 *
 * Why a student writes it: page tables on the CPU side have a present
 * bit, and a "not present" fault; VT-d's second-level entries have no
 * such bit: R = W = 0 is "no access", a read or write fault.
 *
 * Fails: unit.dmar
 */
--- find
		if (!(e & (DMAR_SL_R | DMAR_SL_W)))
			return perm_fault(write);	/* not present */
+++ replace
		if (!(e & (DMAR_SL_R | DMAR_SL_W)))
			return DMAR_FR_PTE_ACCESS;
