/* @@ file 04 */
/*
 * bzimage.c - the Linux x86 boot protocol's 64-bit entry (book §4.4;
 * Documentation/arch/x86/boot.rst). See bzimage.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "core/err.h"
#include "core/le.h"
#include "core/options.h"
#include "core/vm.h"
#include "cpu/bzimage.h"
#include "cpu/loader.h"
#include "mem/memmap.h"

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *bi,
		  char *err, size_t errlen)
{
	memset(bi, 0, sizeof(*bi));
	if (len < BZ_HEADER + 4 || get16(buf + BZ_BOOT_FLAG) != 0xAA55 ||
	    get32(buf + BZ_HEADER) != BZ_MAGIC)
		return fail(err, errlen, -ENOEXEC, "not a bzImage: no 0xAA55 "
			    "boot flag and \"HdrS\" magic at 0x202");
	if (len < BZ_VERSION + 2)
		return fail(err, errlen, -EINVAL, "bad bzImage: %zu bytes end "
			    "inside the setup header", len);
	bi->version = get16(buf + BZ_VERSION);
	if (bi->version < BZ_MIN_VERSION)
		return fail(err, errlen, -ENOEXEC, "boot protocol %u.%02u is "
			    "too old: 2.12 or later is needed for the 64-bit "
			    "entry", bi->version >> 8, bi->version & 0xFF);
	bi->hdr_end = BZ_HEADER + buf[BZ_JUMP + 1];
	if (bi->hdr_end > BZ_HDR_MAX_END)
		bi->hdr_end = BZ_HDR_MAX_END;
	if (bi->hdr_end < BZ_INIT_SIZE + 4 || len < bi->hdr_end)
		return fail(err, errlen, -EINVAL, "bad bzImage: setup header "
			    "ends at %#zx, before the fields of protocol "
			    "2.12 or past the file", bi->hdr_end);
	bi->loadflags = buf[BZ_LOADFLAGS];
	if (!(bi->loadflags & BZ_LOADED_HIGH))
		return fail(err, errlen, -ENOEXEC, "not a bzImage: a zImage "
			    "(LOADED_HIGH clear) loads at 0x10000");
	bi->xloadflags = get16(buf + BZ_XLOADFLAGS);
	if (!(bi->xloadflags & BZ_XLF_KERNEL_64))
		return fail(err, errlen, -ENOEXEC, "kernel has no 64-bit entry "
			    "point (XLF_KERNEL_64 clear in xloadflags)");
	bi->setup_sects = buf[BZ_SETUP_SECTS] ? buf[BZ_SETUP_SECTS] : 4;
	bi->kernel_offset = (bi->setup_sects + 1) * 512ul;
	if (bi->kernel_offset >= len)
		return fail(err, errlen, -EINVAL, "bad bzImage: %u setup "
			    "sectors reach past the file's %zu bytes",
			    bi->setup_sects, len);
	bi->kernel_size = len - bi->kernel_offset;
	bi->relocatable = buf[BZ_RELOCATABLE] != 0;
	bi->kernel_alignment = get32(buf + BZ_KERNEL_ALIGNMENT);
	if (bi->relocatable && (bi->kernel_alignment < 4096 ||
				(bi->kernel_alignment &
				 (bi->kernel_alignment - 1))))
		return fail(err, errlen, -EINVAL, "bad bzImage: "
			    "kernel_alignment %#x is not a power of two of at "
			    "least 4 KiB", bi->kernel_alignment);
	bi->pref_address = get64(buf + BZ_PREF_ADDRESS);
	bi->init_size = get32(buf + BZ_INIT_SIZE);
	bi->cmdline_size = get32(buf + BZ_CMDLINE_SIZE);
	bi->initrd_addr_max = get32(buf + BZ_INITRD_ADDR_MAX);
	return 0;
}

static bool ram_holds(const struct bzimage_config *cfg, uint64_t a,
		      uint64_t size)
{
	unsigned int i;

	if (a + size < a)
		return false;
	for (i = 0; i < cfg->e820_n; i++) {
		const struct bzimage_e820 *e = &cfg->e820[i];

		if (e->type == E820_RAM && a >= e->addr &&
		    a + size <= e->addr + e->size)
			return true;
	}
	return false;
}

static int e820_check(const struct bzimage_config *cfg, char *err,
		      size_t errlen)
{
	unsigned int i;

	if (cfg->e820_n > BP_E820_MAX || (cfg->e820_n && !cfg->e820))
		return fail(err, errlen, -E2BIG, "E820 map of %u entries: "
			    "boot_params holds %u", cfg->e820_n, BP_E820_MAX);
	for (i = 0; i < cfg->e820_n; i++)
		if (cfg->e820[i].addr + cfg->e820[i].size < cfg->e820[i].addr)
			return fail(err, errlen, -EINVAL, "E820 entry %u wraps "
				    "around the address space", i);
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The kernel: pref_address if it fits, else (relocatable) the lowest
 * aligned place at or above 1 MiB; always below 4 GiB (the identity
 * map). */
static int place_kernel(const struct bzimage_info *bi,
			const struct bzimage_config *cfg, uint64_t mem,
			uint64_t *at)
{
	uint64_t best = UINT64_MAX;
	unsigned int i;

	if (bi->pref_address >= BZ_KERNEL_MIN_ADDR &&
	    bi->pref_address + mem <= (1ull << 32) &&
	    ram_holds(cfg, bi->pref_address, mem)) {
		*at = bi->pref_address;
		return 0;
	}
	if (!bi->relocatable)
		return -1;
	for (i = 0; i < cfg->e820_n; i++) {
		const struct bzimage_e820 *e = &cfg->e820[i];
		uint64_t a;

		if (e->type != E820_RAM)
			continue;
		a = align_up(e->addr > BZ_KERNEL_MIN_ADDR ? e->addr :
			     BZ_KERNEL_MIN_ADDR, bi->kernel_alignment);
		if (a < e->addr || a + mem > (1ull << 32) ||
		    !ram_holds(cfg, a, mem))
			continue;
		if (a < best)
			best = a;
	}
	if (best == UINT64_MAX)
		return -1;
	*at = best;
	return 0;
}

static int place_initrd(const struct bzimage_config *cfg, uint64_t size,
			uint64_t limit, uint64_t k0, uint64_t k1,
			uint64_t *at);

int bzimage_plan(const struct bzimage_info *bi,
		 const struct bzimage_config *cfg, struct bzimage_plan *p,
		 char *err, size_t errlen)
{
	const char *cl = cfg->cmdline ? cfg->cmdline : "";
	size_t cl_len = strnlen(cl, BZ_CMDLINE_MAX);
	uint64_t limit;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = e820_check(cfg, err, errlen);
	if (rc)
		return rc;
	if (cl_len > bi->cmdline_size || cl_len >= BZ_CMDLINE_MAX)
		return fail(err, errlen, -E2BIG, "command line of %zu%s bytes "
			    "is longer than the kernel's cmdline_size %u",
			    cl_len, cl_len >= BZ_CMDLINE_MAX ? "+" : "",
			    bi->cmdline_size);
	if (!ram_holds(cfg, BZ_GDT_ADDR, 32) ||
	    !ram_holds(cfg, BZ_ZERO_PAGE_ADDR, BP_SIZE) ||
	    !ram_holds(cfg, BZ_STACK_TOP - 0x800, 0x800) ||
	    !ram_holds(cfg, BZ_PML4_ADDR, BZ_PT_PAGES * 4096ull) ||
	    !ram_holds(cfg, BZ_CMDLINE_ADDR, cl_len + 1))
		return fail(err, errlen, -ENOMEM, "no RAM at 0x500-0xEFFF and "
			    "0x20000 in the E820 map for boot_params, page "
			    "tables and the command line");
	p->zero_page = BZ_ZERO_PAGE_ADDR;
	p->cmdline_addr = BZ_CMDLINE_ADDR;
	p->cmdline_len = (uint32_t)cl_len;
	p->kernel_mem = bi->init_size > bi->kernel_size ? bi->init_size :
			bi->kernel_size;
	if (place_kernel(bi, cfg, p->kernel_mem, &p->kernel_addr))
		return fail(err, errlen, -ENOMEM, "kernel needs %llu KiB "
			    "(init_size) at %#llx%s: larger than the RAM that "
			    "can hold it", (unsigned long long)p->kernel_mem >> 10,
			    (unsigned long long)bi->pref_address,
			    bi->relocatable ? " or an aligned place" : "");
	p->entry = p->kernel_addr + 0x200;
	p->initrd_size = cfg->initrd_size;
	if (!cfg->initrd_size)
		return 0;
	limit = bi->initrd_addr_max;
	if (cfg->initrd_above_4g && (bi->xloadflags & BZ_XLF_ABOVE_4G))
		limit = UINT64_MAX;
	if (place_initrd(cfg, cfg->initrd_size, limit, p->kernel_addr,
			 p->kernel_addr + p->kernel_mem, &p->initrd_addr))
		return fail(err, errlen, -ENOMEM, "initrd of %llu bytes does "
			    "not fit in RAM below initrd_addr_max %#llx beside "
			    "the kernel",
			    (unsigned long long)cfg->initrd_size,
			    (unsigned long long)limit);
	return 0;
}

/* EXERCISE 4.bootparams: Where the initrd goes, and the zero page.
 *
 * Two functions of the Linux x86 boot protocol, 64-bit entry
 * (Documentation/arch/x86/boot.rst: "The Real-Mode Kernel Header",
 * "Details of Header Fields", "64-bit Boot Protocol", and "Loading the
 * Rest of the Kernel"; Documentation/arch/x86/zero-page.rst for where
 * each field of boot_params is; bzimage.h has their offsets).
 *
 * place_initrd(cfg, size, limit, k0, k1, at): the initrd of `size`
 * bytes goes at the highest address a such that
 *   a is a multiple of 4 KiB and at least BZ_KERNEL_MIN_ADDR (1 MiB);
 *   [a, a + size) lies inside one E820_RAM entry of cfg->e820[];
 *   its last byte, a + size - 1, is at most `limit` (the kernel's
 *     initrd_addr_max; UINT64_MAX: no limit);
 *   it does not overlap the kernel, [k0, k1).
 * Sets *at and returns 0, or returns -1 when there is no such place
 * (bzimage_plan() above says why to the user). size is not 0.
 *
 * bzimage_boot_params(buf, len, bi, cfg, p, zp, err, errlen) fills zp,
 * BP_SIZE bytes of `struct boot_params`, for the kernel in buf[0..len)
 * (bi: bzimage_parse()'s reading of its header), loaded where the plan
 * p says, on the memory map cfg->e820[]:
 *   every byte 0 but what follows;
 *   the setup header as the file has it, from BZ_SETUP_SECTS to
 *     bi->hdr_end (it ends where its jump says: a kernel of another
 *     protocol version has more or fewer fields; nothing of the file
 *     past that end);
 *   then the fields that boot.rst's field table marks "write" or
 *     "modify" for the boot loader, with the values boot.rst gives
 *     for a loader like this one: it asks for the normal video mode,
 *     has no assigned loader id, gives the kernel no heap, loaded the
 *     kernel at p->kernel_addr (code32_start says so), passes no
 *     setup_data; cmd_line_ptr, ramdisk_image and ramdisk_size come
 *     from p (0 when there is no initrd), each with its bits 63:32 in
 *     the ext_ field zero-page.rst gives it;
 *   the E820 table: e820_entries and cfg->e820_n entries of 20 bytes
 *     (address, size, type) at BP_E820_TABLE, in cfg's order.
 * Returns 0; or, with zp not to be used and one line in err: -EINVAL
 * when bi->hdr_end is past len or past BZ_HDR_MAX_END, or what
 * e820_check() returns for a map it refuses (more than BP_E820_MAX
 * entries, an entry that wraps).
 *
 * Tests: unit.bzimage guest.linux.user guest.linux.split
 *   guest.linux.kernel
 * Stub: static int place_initrd(const struct bzimage_config *cfg,
 * 			uint64_t size, uint64_t limit, uint64_t k0,
 * 			uint64_t k1, uint64_t *at)
 * {
 * 	(void)cfg;
 * 	(void)size;
 * 	(void)limit;
 * 	(void)k0;
 * 	(void)k1;
 * 	(void)at;
 * 	return -1;
 * }
 *
 * int bzimage_boot_params(const uint8_t *buf, size_t len,
 * 			const struct bzimage_info *bi,
 * 			const struct bzimage_config *cfg,
 * 			const struct bzimage_plan *p, uint8_t *zp,
 * 			char *err, size_t errlen)
 * {
 * 	(void)buf;
 * 	(void)len;
 * 	(void)bi;
 * 	(void)cfg;
 * 	(void)p;
 * 	(void)zp;
 * 	return fail(err, errlen, -ENOSYS, "4.bootparams: not written");
 * }
 */
static int place_initrd(const struct bzimage_config *cfg, uint64_t size,
			uint64_t limit, uint64_t k0, uint64_t k1,
			uint64_t *at)
{
	uint64_t best = 0;
	bool found = false;
	unsigned int i;
	int pass;

	for (i = 0; i < cfg->e820_n; i++) {
		const struct bzimage_e820 *e = &cfg->e820[i];
		uint64_t top, a;

		if (e->type != E820_RAM)
			continue;
		top = e->addr + e->size;
		if (limit != UINT64_MAX && top > limit + 1)
			top = limit + 1;
		for (pass = 0; pass < 2; pass++) {
			if (size > top)
				break;
			a = (top - size) & ~0xFFFull;
			if (a < e->addr || a < BZ_KERNEL_MIN_ADDR)
				break;
			if (a < k1 && a + size > k0) {
				top = k0;	/* try below the kernel */
				continue;
			}
			if (!found || a > best)
				best = a;
			found = true;
			break;
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
		return fail(err, errlen, -EINVAL, "setup header past the file");
	rc = e820_check(cfg, err, errlen);
	if (rc)
		return rc;
	memset(zp, 0, BP_SIZE);
	/* The setup header as the file has it, then the loader's fields. */
	memcpy(zp + BZ_SETUP_SECTS, buf + BZ_SETUP_SECTS,
	       bi->hdr_end - BZ_SETUP_SECTS);
	put16(zp + BZ_VID_MODE, 0xFFFF);		/* "normal" */
	zp[BZ_TYPE_OF_LOADER] = 0xFF;			/* no registered id */
	zp[BZ_LOADFLAGS] &= (uint8_t)~BZ_CAN_USE_HEAP;	/* no heap_end_ptr */
	put32(zp + BZ_CODE32_START, (uint32_t)p->kernel_addr);
	put32(zp + BZ_CMD_LINE_PTR, (uint32_t)p->cmdline_addr);
	put32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(p->cmdline_addr >> 32));
	put32(zp + BZ_RAMDISK_IMAGE, (uint32_t)p->initrd_addr);
	put32(zp + BZ_RAMDISK_SIZE, (uint32_t)p->initrd_size);
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_size >> 32));
	put64(zp + BZ_SETUP_DATA, 0);			/* no setup_data list */
	zp[BP_E820_ENTRIES] = (uint8_t)cfg->e820_n;
	for (i = 0; i < cfg->e820_n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;

		put64(e, cfg->e820[i].addr);
		put64(e + 8, cfg->e820[i].size);
		put32(e + 16, cfg->e820[i].type);
	}
	return 0;
}

/* END EXERCISE 4.bootparams */

void bzimage_page_tables(uint8_t *out)
{
	const uint64_t pml4 = BZ_PML4_ADDR, pdpt = pml4 + 4096;
	unsigned int i, j;

	memset(out, 0, BZ_PT_PAGES * 4096);
	put64(out, pdpt | 0x3);				/* P, RW */
	for (i = 0; i < 4; i++) {
		uint64_t pd = pdpt + 4096 * (i + 1);

		put64(out + 4096 + 8 * i, pd | 0x3);
		for (j = 0; j < 512; j++)
			put64(out + 4096 * (2 + i) + 8 * j,
			      ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83);
	}
}

void bzimage_gdt(uint8_t out[32])
{
	memset(out, 0, 32);
	put64(out + BZ_BOOT_CS, 0x00AF9B000000FFFFull);	/* 64-bit code */
	put64(out + BZ_BOOT_DS, 0x00CF93000000FFFFull);	/* flat data */
}

void bzimage_entry_regs(const struct bzimage_plan *p, struct bzimage_regs *r)
{
	struct bzimage_seg data = {
		.selector = BZ_BOOT_DS, .base = 0, .limit = 0xFFFFFFFF,
		.type = 0x3, .s = 1, .dpl = 0, .present = 1, .db = 1,
		.l = 0, .g = 1,
	};

	memset(r, 0, sizeof(*r));
	r->rip = p->entry;
	r->rsi = p->zero_page;
	r->rsp = BZ_STACK_TOP;
	r->rflags = 0x2;				/* IF = 0 */
	r->cr0 = 0x80000011;				/* PG, ET, PE */
	r->cr3 = BZ_PML4_ADDR;
	r->cr4 = 0x20;					/* PAE */
	r->efer = 0x500;				/* LME, LMA */
	r->cs = (struct bzimage_seg){
		.selector = BZ_BOOT_CS, .base = 0, .limit = 0xFFFFFFFF,
		.type = 0xB, .s = 1, .dpl = 0, .present = 1, .db = 0,
		.l = 1, .g = 1,
	};
	r->ds = r->es = r->fs = r->gs = r->ss = data;
	r->gdt_base = BZ_GDT_ADDR;
	r->gdt_limit = 31;
	r->idt_base = 0;
	r->idt_limit = 0;
}

static int put(const struct bzimage_mem_ops *mem, void *opaque, uint64_t gpa,
	       const void *src, size_t n, const char *what, char *err,
	       size_t errlen)
{
	if (!n)
		return 0;
	if (!mem->write || mem->write(opaque, gpa, src, n) < 0)
		return fail(err, errlen, -EFAULT, "cannot write the %s at "
			    "%#llx (+%zu): not RAM", what,
			    (unsigned long long)gpa, n);
	return 0;
}

int bzimage_load(const uint8_t *buf, size_t len, const uint8_t *initrd,
		 const struct bzimage_config *cfg,
		 const struct bzimage_mem_ops *mem, void *opaque,
		 struct bzimage_plan *p, struct bzimage_regs *r,
		 char *err, size_t errlen)
{
	uint8_t pt[BZ_PT_PAGES * 4096];
	struct bzimage_info bi;
	uint8_t zp[BP_SIZE], gdt[32];
	const char *cl = cfg->cmdline ? cfg->cmdline : "";
	int rc;

	rc = bzimage_parse(buf, len, &bi, err, errlen);
	if (!rc)
		rc = bzimage_plan(&bi, cfg, p, err, errlen);
	if (!rc && cfg->initrd_size && !initrd)
		rc = fail(err, errlen, -EINVAL, "initrd size without data");
	if (!rc)
		rc = bzimage_boot_params(buf, len, &bi, cfg, p, zp, err,
					 errlen);
	if (rc)
		return rc;
	bzimage_page_tables(pt);
	bzimage_gdt(gdt);
	rc = put(mem, opaque, p->kernel_addr, buf + bi.kernel_offset,
		 bi.kernel_size, "kernel", err, errlen);
	if (!rc)
		rc = put(mem, opaque, p->cmdline_addr, cl, p->cmdline_len + 1,
			 "command line", err, errlen);
	if (!rc)
		rc = put(mem, opaque, p->initrd_addr, initrd, p->initrd_size,
			 "initrd", err, errlen);
	if (!rc)
		rc = put(mem, opaque, p->zero_page, zp, BP_SIZE, "boot_params",
			 err, errlen);
	if (!rc)
		rc = put(mem, opaque, BZ_PML4_ADDR, pt, sizeof(pt),
			 "page tables", err, errlen);
	if (!rc)
		rc = put(mem, opaque, BZ_GDT_ADDR, gdt, sizeof(gdt), "GDT", err,
			 errlen);
	if (!rc)
		bzimage_entry_regs(p, r);
	return rc;
}

/* ---- the machine's side: --kernel, --initrd, --append ---- */

/* A whole file the user named ("the kernel", "the initrd") into *buf. */
static int read_file(const char *path, const char *what, uint64_t limit,
		     uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(-ENOEXEC, "cannot open %s '%s': %s", what, path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > limit) {
		close(fd);
		return err_set(-ENOEXEC, "%s '%s' is not a file of 1 byte to %llu MiB",
			       what, path, (unsigned long long)(limit >> 20));
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len);
	while (*buf && done < *len) {
		n = read(fd, *buf + done, *len - done);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			done += (size_t)n;
	}
	close(fd);
	if (!*buf || done < *len) {
		free(*buf);
		*buf = NULL;
		return err_set(-EIO, "cannot read %s '%s'", what, path);
	}
	return 0;
}

static int guest_write(void *opaque, uint64_t gpa, const void *src, size_t n)
{
	struct vm *vm = opaque;
	void *dst = memmap_hva_rw(&vm->mem, gpa, n);

	if (!dst)
		return -1;
	memcpy(dst, src, n);
	return 0;
}

/* Lab 02's memory map, as boot_params' E820 table. */
static unsigned int guest_e820(struct vm *vm, struct bzimage_e820 *out,
			       unsigned int max)
{
	struct e820_entry e;
	unsigned int n;

	for (n = 0; n < max && memmap_e820_entry(&vm->mem, n, &e) == 0; n++)
		out[n] = (struct bzimage_e820){ e.addr, e.size, e.type };
	return n;
}

/* excerpt: bzimage-load-files */
static int load_files(struct vm *vm, const struct options *opt,
		      const uint8_t *kernel, size_t klen, const uint8_t *initrd,
		      size_t ilen, struct boot_info *bi)
{
	static const struct bzimage_mem_ops mem = { .write = guest_write };
	struct bzimage_e820 e820[MEMMAP_MAX_REGIONS];
	struct bzimage_config cfg = {
		.cmdline = opt->append, .initrd_size = ilen,
		.e820 = e820, .e820_n = guest_e820(vm, e820, MEMMAP_MAX_REGIONS),
	};
	struct bzimage_plan plan;
	char err[200];

	if (bzimage_load(kernel, klen, initrd, &cfg, &mem, vm, &plan,
			 &bi->linux_regs, err, sizeof(err)))
		return err_set(-ENOEXEC, "%s", err);
	bi->format = GUEST_BZIMAGE;
	bi->entry = plan.entry;
	return 0;
}
/* end excerpt: bzimage-load-files */

int bzimage_load_guest(struct vm *vm, const struct options *opt,
		       struct boot_info *bi)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int ret;

	ret = read_file(opt->kernel, "the kernel", opt->mem, &kernel, &klen);
	if (!ret && opt->initrd)
		ret = read_file(opt->initrd, "the initrd", opt->mem, &initrd,
				&ilen);
	if (!ret)
		ret = load_files(vm, opt, kernel, klen, initrd, ilen, bi);
	free(kernel);
	free(initrd);
	return ret;
}

static void set_seg(struct kvm_segment *k, const struct bzimage_seg *s)
{
	*k = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = s->type, .present = s->present, .dpl = s->dpl,
		.db = s->db, .s = s->s, .l = s->l, .g = s->g,
	};
}

void bzimage_set_vcpu(const struct bzimage_regs *r, struct kvm_sregs *sregs,
		      struct kvm_regs *regs)
{
	set_seg(&sregs->cs, &r->cs);
	set_seg(&sregs->ds, &r->ds);
	set_seg(&sregs->es, &r->es);
	set_seg(&sregs->fs, &r->fs);
	set_seg(&sregs->gs, &r->gs);
	set_seg(&sregs->ss, &r->ss);
	sregs->gdt.base = r->gdt_base;
	sregs->gdt.limit = r->gdt_limit;
	sregs->idt.base = r->idt_base;
	sregs->idt.limit = r->idt_limit;
	sregs->cr0 = r->cr0;
	sregs->cr3 = r->cr3;
	sregs->cr4 = r->cr4;
	sregs->efer = r->efer;
	memset(regs, 0, sizeof(*regs));
	regs->rip = r->rip;
	regs->rsi = r->rsi;
	regs->rsp = r->rsp;
	regs->rflags = r->rflags;
}
