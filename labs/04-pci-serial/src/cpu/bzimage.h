/*
 * bzimage.h - the Linux x86 boot protocol, 64-bit entry: parse a
 * bzImage's setup header, place the kernel, the command line and the
 * initrd in the guest's E820 RAM, build boot_params (the "zero page"),
 * identity page tables and a GDT, and say which register state the VMM
 * sets before the first KVM_RUN (book §4.4, how Linux boots on our
 * machine; the kernel's Documentation/arch/x86/boot.rst: "The Real-Mode
 * Kernel Header", "Details of Header Fields", "64-bit Boot Protocol";
 * arch/x86/include/uapi/asm/bootparam.h for the zero page's layout).
 *
 * Minimum protocol 2.12: the 64-bit entry at +0x200 is announced only by
 * xloadflags' XLF_KERNEL_64, a field that protocol 2.12 added; older
 * kernels cannot be entered in long mode by a loader that checks what it
 * does. (2.12 also brings everything used here: cmdline_size from 2.06,
 * pref_address and init_size from 2.10.)
 *
 * Every length and offset in the file is hostile input: each is checked
 * against the file's size and the fields' own limits before use. Errors
 * are -errno with a one-line message in `err`.
 *
 * Pure functions except bzimage_load(), which writes guest memory only
 * through the owner's callback. No state, no lock.
 */
#ifndef VMM_BZIMAGE_H
#define VMM_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Setup header offsets in the file and in boot_params. */
#define BZ_SETUP_SECTS		0x1F1
#define BZ_VID_MODE		0x1FA
#define BZ_BOOT_FLAG		0x1FE
#define BZ_JUMP			0x200
#define BZ_HEADER		0x202
#define BZ_VERSION		0x206
#define BZ_TYPE_OF_LOADER	0x210
#define BZ_LOADFLAGS		0x211
#define BZ_CODE32_START		0x214
#define BZ_RAMDISK_IMAGE	0x218
#define BZ_RAMDISK_SIZE		0x21C
#define BZ_HEAP_END_PTR		0x224
#define BZ_CMD_LINE_PTR		0x228
#define BZ_INITRD_ADDR_MAX	0x22C
#define BZ_KERNEL_ALIGNMENT	0x230
#define BZ_RELOCATABLE		0x234
#define BZ_XLOADFLAGS		0x236
#define BZ_CMDLINE_SIZE		0x238
#define BZ_SETUP_DATA		0x250
#define BZ_PREF_ADDRESS		0x258
#define BZ_INIT_SIZE		0x260
#define BZ_HDR_MAX_END		0x290	/* where boot_params' hdr ends */

/* boot_params fields outside the header. */
#define BP_EXT_RAMDISK_IMAGE	0x0C0
#define BP_EXT_RAMDISK_SIZE	0x0C4
#define BP_EXT_CMD_LINE_PTR	0x0C8
#define BP_E820_ENTRIES		0x1E8
#define BP_E820_TABLE		0x2D0
#define BP_E820_MAX		128
#define BP_SIZE			4096

#define BZ_MAGIC		0x53726448u	/* "HdrS" */
#define BZ_MIN_VERSION		0x020C
#define BZ_LOADED_HIGH		0x01
#define BZ_CAN_USE_HEAP		0x80
#define BZ_XLF_KERNEL_64	0x0001
#define BZ_XLF_ABOVE_4G		0x0002

#define E820_RAM		1

/* Where the loader puts its own things: low RAM, below the EBDA. */
#define BZ_GDT_ADDR		0x500
#define BZ_STACK_TOP		0x8FF0
#define BZ_ZERO_PAGE_ADDR	0x7000
#define BZ_PML4_ADDR		0x9000	/* + PDPT, 4 PDs: to 0xEFFF */
#define BZ_PT_PAGES		6
#define BZ_CMDLINE_ADDR		0x20000
#define BZ_CMDLINE_MAX		0x10000	/* the room at BZ_CMDLINE_ADDR */
#define BZ_KERNEL_MIN_ADDR	0x100000
#define BZ_BOOT_CS		0x10	/* as boot.rst's __BOOT_CS */
#define BZ_BOOT_DS		0x18

struct bzimage_e820 {
	uint64_t addr, size;
	uint32_t type;
};

struct bzimage_info {
	uint16_t version;
	unsigned int setup_sects;	/* 0 in the file means 4 */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	size_t hdr_end;			/* 0x202 + the jump's offset byte */
	size_t kernel_offset;		/* (setup_sects + 1) * 512 */
	size_t kernel_size;		/* the file past the setup */
};

struct bzimage_config {
	const char *cmdline;		/* NULL: empty */
	uint64_t initrd_size;		/* 0: none */
	/* Let the initrd go above 4 GiB if the kernel says it can
	 * (XLF_CAN_BE_LOADED_ABOVE_4G): then initrd_addr_max is not the
	 * limit, the top of RAM is. */
	bool initrd_above_4g;
	const struct bzimage_e820 *e820;	/* the guest's memory map */
	unsigned int e820_n;
};

struct bzimage_plan {
	uint64_t kernel_addr;		/* the protected-mode kernel */
	uint64_t kernel_mem;		/* max(init_size, its file size) */
	uint64_t entry;			/* kernel_addr + 0x200 */
	uint64_t cmdline_addr;
	uint32_t cmdline_len;		/* without the NUL */
	uint64_t initrd_addr, initrd_size;
	uint64_t zero_page;
};

struct bzimage_seg {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;		/* in bytes after granularity */
	uint8_t type, s, dpl, present, db, l, g;
};

/* The vCPU state for the 64-bit entry (boot.rst, "64-bit Boot
 * Protocol"): long mode, paging on with the identity map of the first
 * 4 GiB, flat __BOOT_CS/__BOOT_DS segments, interrupts off, RSI =
 * boot_params. Every other general register is 0. */
struct bzimage_regs {
	uint64_t rip, rsi, rsp, rflags;
	uint64_t cr0, cr3, cr4, efer;
	struct bzimage_seg cs, ds, es, fs, gs, ss;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t idt_base;
	uint16_t idt_limit;
};

struct bzimage_mem_ops {
	/* Guest memory: 0, or negative if the range is not RAM. */
	int (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
};

/* Parse and check a bzImage's header (file in buf[0..len)). */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *bi,
		  char *err, size_t errlen);

/* Place kernel, command line and initrd in the E820 RAM. */
int bzimage_plan(const struct bzimage_info *bi,
		 const struct bzimage_config *cfg, struct bzimage_plan *p,
		 char *err, size_t errlen);

/* Fill the zero page (BP_SIZE bytes) for that plan. */
int bzimage_boot_params(const uint8_t *buf, size_t len,
			const struct bzimage_info *bi,
			const struct bzimage_config *cfg,
			const struct bzimage_plan *p, uint8_t *zp,
			char *err, size_t errlen);

/* The identity map of 0-4 GiB in 2 MiB pages, BZ_PT_PAGES pages to be
 * written at BZ_PML4_ADDR; and the 4-entry GDT (32 bytes). */
void bzimage_page_tables(uint8_t *out);
void bzimage_gdt(uint8_t out[32]);

void bzimage_entry_regs(const struct bzimage_plan *p, struct bzimage_regs *r);

/*
 * All of it: parse, plan, and write the kernel, command line, initrd,
 * zero page, page tables and GDT into guest memory; *p and *r say where
 * and how to start. `initrd` may be NULL when cfg->initrd_size is 0.
 */
int bzimage_load(const uint8_t *buf, size_t len, const uint8_t *initrd,
		 const struct bzimage_config *cfg,
		 const struct bzimage_mem_ops *mem, void *opaque,
		 struct bzimage_plan *p, struct bzimage_regs *r,
		 char *err, size_t errlen);

/*
 * --kernel, --initrd, --append (guests/README.md, "How guests are
 * loaded"): read the files, place everything in the guest's memory as
 * its E820 map allows, and leave the entry state in bi (format
 * GUEST_BZIMAGE). -ENOEXEC with one line in err_msg() for a file the
 * user gave that will not do; other -errno for the host's failures.
 */
struct vm;
struct options;
struct boot_info;
struct kvm_sregs;
struct kvm_regs;
int bzimage_load_guest(struct vm *vm, const struct options *opt,
		       struct boot_info *bi);
/* The entry state r, in KVM's registers (the rest stays as KVM reset it). */
void bzimage_set_vcpu(const struct bzimage_regs *r, struct kvm_sregs *sregs,
		      struct kvm_regs *regs);

#endif
