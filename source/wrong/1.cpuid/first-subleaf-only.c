/* Wrong 1.cpuid: one entry per leaf, the first found.
 *
 * Leaves with subleaves (4, 7, 0xd, ...) have one entry per index: the
 * others are lost.
 *
 * Fails: unit.cpuid
 */
--- find
		e = &c->entries[c->nent++];
		*e = *s;
+++ replace
		if (c->nent && c->entries[c->nent - 1].function == s->function)
			continue;
		e = &c->entries[c->nent++];
		*e = *s;
