/* Right 4.dmar: the root and context steps inline, the rights as a mask.
 *
 * Written from the contract and the VT-d specification in a lab 04
 * handout: one function for the root and context entries, the walk
 * ANDing the entries' R and W bits as a mask, every reserved-bit test
 * its own line. The tests must accept it.
 *
 * Passes: unit.dmar
 */
static enum dmar_fault walk_sl(struct dmar *d, uint64_t table, int levels,
			       uint64_t iova, bool write,
			       struct dmar_xlate *x)
{
	uint64_t rights = DMAR_SL_R | DMAR_SL_W;
	uint64_t rsvd_addr = above_haw(d);
	int lvl;

	for (lvl = levels; lvl > 0; lvl--) {
		unsigned int shift = 3 + 9 * (unsigned int)lvl;
		uint64_t pgsz = 1ull << shift, e;
		bool leaf;

		if (!read8(d, table + ((iova >> shift) & 511) * 8, &e))
			return DMAR_FR_PTE_ACCESS;
		if (!(e & 3))
			return write ? DMAR_FR_WRITE : DMAR_FR_READ;
		leaf = lvl == 1 || (e & DMAR_SL_PS);
		if (e & rsvd_addr)
			return DMAR_FR_PTE_RSVD;
		if (lvl == 4 && (e & DMAR_SL_PS))
			return DMAR_FR_PTE_RSVD;
		if (leaf && (e & DMAR_SL_TM))
			return DMAR_FR_PTE_RSVD;
		if (leaf && lvl > 1 && (e & (pgsz - 1) & ~0xFFFull))
			return DMAR_FR_PTE_RSVD;
		rights &= e;
		if (leaf) {
			if (!(rights & (write ? DMAR_SL_W : DMAR_SL_R)))
				return write ? DMAR_FR_WRITE : DMAR_FR_READ;
			x->addr = (e & addr_mask(d) & ~(pgsz - 1)) +
				  (iova & (pgsz - 1));
			x->page_size = pgsz;
			x->read = rights & DMAR_SL_R;
			x->write = rights & DMAR_SL_W;
			return DMAR_OK;
		}
		table = e & addr_mask(d);
	}
	return DMAR_FR_PTE_ACCESS;
}

static enum dmar_fault translate_locked(struct dmar *d, uint16_t sid,
					uint64_t iova, bool write,
					struct dmar_xlate *x)
{
	uint64_t re[2], ce[2], hi_bad = ~addr_mask(d) & ~0xFFFull;
	unsigned int bus = sid >> 8, devfn = sid & 0xFF, tt, aw;

	if (!d->te) {
		x->addr = iova;
		x->page_size = 4096;
		x->read = x->write = true;
		return DMAR_OK;
	}
	if ((d->rtaddr & hi_bad) || !read16(d, d->rtaddr + bus * 16, re))
		return DMAR_FR_ROOT_ACCESS;
	if (!(re[0] & DMAR_P))
		return DMAR_FR_ROOT_NOT_PRESENT;
	if ((re[0] & 0xFFE) || (re[0] & hi_bad) || re[1])
		return DMAR_FR_ROOT_RSVD;
	if (!read16(d, (re[0] & addr_mask(d)) + devfn * 16, ce))
		return DMAR_FR_CTX_ACCESS;
	if (!(ce[0] & DMAR_P))
		return DMAR_FR_CTX_NOT_PRESENT;
	if ((ce[0] & 0xFF0) || (ce[0] & hi_bad) || (ce[1] & 0x80) ||
	    (ce[1] >> 24))
		return DMAR_FR_CTX_RSVD;
	x->did = (uint16_t)(ce[1] >> 8);
	x->fpd = (ce[0] >> 1) & 1;
	tt = (ce[0] >> 2) & 3;
	aw = ce[1] & 7;
	switch (tt) {
	case 2:
		if (iova >> d->haw)
			return DMAR_FR_ADDR_BEYOND_AGAW;
		x->addr = iova;
		x->page_size = 4096;
		x->read = x->write = true;
		return DMAR_OK;
	case 3:
		return DMAR_FR_CTX_INVALID;
	}
	if (aw == 1) {
		if (iova >> 39)
			return DMAR_FR_ADDR_BEYOND_AGAW;
		return walk_sl(d, ce[0] & addr_mask(d), 3, iova, write, x);
	}
	if (aw == 2) {
		if (iova >> 48)
			return DMAR_FR_ADDR_BEYOND_AGAW;
		return walk_sl(d, ce[0] & addr_mask(d), 4, iova, write, x);
	}
	return DMAR_FR_CTX_INVALID;
}
