/* Right 4.bootparams: two candidate places per RAM entry, the header copied byte by byte.
 *
 * Written from the contract and boot.rst in a lab 04 handout: in each
 * RAM entry, clipped to 1 MiB and initrd_addr_max, the highest aligned
 * place and the highest one below the kernel; the fields in another
 * order. The tests must accept it.
 *
 * Passes: unit.bzimage
 */
static int place_initrd(const struct bzimage_config *cfg,
			uint64_t size, uint64_t limit, uint64_t k0,
			uint64_t k1, uint64_t *at)
{
	bool found = false;
	uint64_t best = 0;
	unsigned int i;

	for (i = 0; i < cfg->e820_n; i++) {
		const struct bzimage_e820 *e = &cfg->e820[i];
		uint64_t lo = e->addr, hi = e->addr + e->size; /* [lo, hi) */
		uint64_t cand[2];
		int n = 0, j;

		if (e->type != E820_RAM)
			continue;
		if (lo < BZ_KERNEL_MIN_ADDR)
			lo = BZ_KERNEL_MIN_ADDR;
		if (limit != UINT64_MAX && hi - 1 > limit)
			hi = limit + 1;
		if (hi <= lo || hi - lo < size)
			continue;
		/* Highest start in [lo, hi), then highest below the kernel. */
		cand[n++] = (hi - size) & ~0xFFFull;
		if (k0 >= lo + size && k0 <= hi)
			cand[n++] = (k0 - size) & ~0xFFFull;
		for (j = 0; j < n; j++) {
			uint64_t a = cand[j];

			if (a < lo || a + size > hi)
				continue;
			if (a < k1 && a + size > k0)
				continue;
			if (!found || a > best)
				best = a;
			found = true;
		}
	}
	if (!found)
		return -1;
	*at = best;
	return 0;
}

int bzimage_boot_params(const uint8_t *buf, size_t len,
			const struct bzimage_info *bi,
			const struct bzimage_config *cfg,
			const struct bzimage_plan *p, uint8_t *zp,
			char *err, size_t errlen)
{
	unsigned int i;
	int rc;

	if (bi->hdr_end > len || bi->hdr_end > BZ_HDR_MAX_END)
		return fail(err, errlen, -EINVAL, "bad setup header end %#zx",
			    bi->hdr_end);
	rc = e820_check(cfg, err, errlen);
	if (rc)
		return rc;
	memset(zp, 0, BP_SIZE);
	for (i = BZ_SETUP_SECTS; i < bi->hdr_end; i++)
		zp[i] = buf[i];
	put16(zp + BZ_VID_MODE, 0xFFFF);
	zp[BZ_TYPE_OF_LOADER] = 0xFF;
	zp[BZ_LOADFLAGS] = buf[BZ_LOADFLAGS] & ~BZ_CAN_USE_HEAP;
	put16(zp + BZ_HEAP_END_PTR, 0);
	put32(zp + BZ_CODE32_START, (uint32_t)p->kernel_addr);
	put64(zp + BZ_SETUP_DATA, 0);
	put32(zp + BZ_CMD_LINE_PTR, (uint32_t)p->cmdline_addr);
	put32(zp + BZ_RAMDISK_IMAGE, (uint32_t)p->initrd_addr);
	put32(zp + BZ_RAMDISK_SIZE, (uint32_t)p->initrd_size);
	put32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(p->cmdline_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_size >> 32));
	zp[BP_E820_ENTRIES] = (uint8_t)cfg->e820_n;
	for (i = 0; i < cfg->e820_n; i++) {
		put64(zp + BP_E820_TABLE + 20 * i, cfg->e820[i].addr);
		put64(zp + BP_E820_TABLE + 20 * i + 8, cfg->e820[i].size);
		put32(zp + BP_E820_TABLE + 20 * i + 16, cfg->e820[i].type);
	}
	return 0;
}
